;; `(module-outputs NAME)` is Terraform's `module.NAME`: the object of every
;; output of the instance, a list of them for an `include` with `count`, a
;; map by key for `for-each`; `(module-outputs NAME INSTANCE)` one of them.
;; Whatever reads it waits for every output of every instance.
;; ---- file modules/node.nim
(define-variables (name (type string)))

(resource terraform-data "server"
  (input (var name)))

(output "id"
  (value (ref terraform-data "server" "input")))

(output "label"
  (value (string-append "node " (var name))))
;; ---- apply
(use-module "./modules/node.nim")

(include node "counted" (count 2) (name (to-string count-index)))

(include node "keyed" (for-each (list "a" "b")) (name each-key))

(include node "single" (name "s"))

(resource terraform-data "after"
  (input (get (module-outputs keyed) "b" "id")))

(output "counted"
  (value (module-outputs counted)))

(output "keyed"
  (value (module-outputs keyed)))

(output "single"
  (value (module-outputs single)))

(output "one"
  (value (module-outputs keyed "a")))

(output "labels"
  (value (for ((k m (module-outputs keyed))) (string-append k "=" (get m "label")))))
;; ---- plan
(use-module "./modules/node.nim")

(include node "counted" (count 2) (name (to-string count-index)))

(include node "single" (name "s"))

(output "past"
  (value (module-outputs counted 2)))

(output "one"
  (value (module-outputs single 0)))
;; ---- plan
(use-module "./modules/node.nim")

(include node "single" (name "s"))

(output "unknown"
  (value (module-outputs nosuch)))
