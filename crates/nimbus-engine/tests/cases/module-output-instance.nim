;; `(module-output NAME INSTANCE OUT)` reads one instance of an `include`
;; with `count` or `for-each`: an index past the count, a key it does not
;; have, or an index on an `include` without either is an error there.
;; ---- file modules/node.nim
(resource terraform-data "server"
  (input "x"))

(output "id"
  (value (ref terraform-data "server" "input")))
;; ---- plan
(use-module "./modules/node.nim")

(include node "counted" (count 2))

(include node "keyed" (for-each (list "a" "b")))

(include node "single")

(output "ok"
  (value (list (module-output counted 1 "id") (module-output keyed "b" "id") (module-output single "id"))))
;; ---- plan
(use-module "./modules/node.nim")

(include node "counted" (count 2))

(include node "keyed" (for-each (list "a" "b")))

(include node "single")

(output "past"
  (value (module-output counted 2 "id")))

(output "missing"
  (value (module-output keyed "c" "id")))

(output "one"
  (value (module-output single 0 "id")))
