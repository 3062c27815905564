;; Objects that read the outputs of an `include` with `count` record a
;; dependency on every instance's blocks: destroy deletes them first, then
;; the module instances' objects. A saved plan of counted modules applies
;; as planned.
;; ---- file modules/node.nim
(define-variables
  (name (type string)))

(resource terraform-data "server"
  (input (var name)))

(output "name"
  (value (ref terraform-data "server" "input")))
;; ---- save-plan
(use-module "./modules/node.nim")

(include node (count 2)
  (name (format "node-~a" count-index)))

(resource terraform-data "balancer"
  (input (module-output node "name")))
;; ---- apply-saved
;; ---- destroy --log
