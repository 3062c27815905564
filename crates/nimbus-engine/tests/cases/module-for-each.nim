;; `for-each` on an `include`, over a map: one module instance per key,
;; addressed `module.NAME["KEY"].`, with `each-key` and `each-value` in
;; the call's inputs; a key holding `[`, `"` and `.` round-trips (the
;; second apply changes nothing). Removing a key deletes that instance's
;; objects. `(module-output NAME OUT)` is a map by key.
;; ---- file modules/site.nim
(define-variables
  (name (type string))
  (size (type number)))

(resource terraform-data "site"
  (input (format "~a:~a" (var name) (var size))))

(output "label"
  (value (ref terraform-data "site" "input")))
;; ---- apply
(use-module "./modules/site.nim")

(include site (for-each (map ("blue" 1) ("a[0].\"b\"" 2) ("green" 3)))
  (name each-key)
  (size each-value))

(output "labels"
  (value (module-output site "label")))

(output "green"
  (value (module-output site "green" "label")))
;; ---- apply
;; ---- apply
(use-module "./modules/site.nim")

(include site (for-each (map ("a[0].\"b\"" 2) ("green" 4)))
  (name each-key)
  (size each-value))

(output "labels"
  (value (module-output site "label")))
;; ---- destroy
