;; A module included with `count` that includes another module with
;; `count`: addresses read `module.a[0].module.b[1].terraform-data.x`; the
;; inner count comes from the outer instance's input; shrinking the outer
;; count deletes every object under the instance that went away.
;; ---- file modules/outer.nim
(define-variables
  (inner (type number)))

(use-module b "./inner.nim")

(include b (count (var inner))
  (label (format "inner-~a" count-index)))

(output "labels"
  (value (module-output b "label")))
;; ---- file modules/inner.nim
(define-variables
  (label (type string)))

(resource terraform-data "x"
  (input (var label)))

(output "label"
  (value (ref terraform-data "x" "input")))
;; ---- apply
(use-module a "./modules/outer.nim")

(include a (count 2)
  (inner (+ count-index 1)))

(output "labels"
  (value (module-output a "labels")))
;; ---- apply
(use-module a "./modules/outer.nim")

(include a (count 1)
  (inner 2))

(output "labels"
  (value (module-output a "labels")))
;; ---- destroy
