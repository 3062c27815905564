;; The `count` and `for-each` of an `include` must be known at plan time:
;; one computed from a resource attribute known only after apply is an
;; error at the expression, naming what it depends on (also through a
;; local), and nothing is planned.
;; ---- file modules/node.nim
(resource terraform-data "server"
  (input "x"))
;; ---- apply
(use-module "./modules/node.nim")

(resource random-id "seed"
  (byte-length 4))

(locals
  (copies (length (ref random-id "seed" "hex"))))

(include node (count (local copies)))
;; ---- apply
(use-module "./modules/node.nim")

(resource random-id "seed"
  (byte-length 4))

(include node (for-each (to-set (list (ref random-id "seed" "hex")))))
;; ---- validate
