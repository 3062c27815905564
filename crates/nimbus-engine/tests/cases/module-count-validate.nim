;; `validate` checks the inputs of an `include` with `count`/`for-each`
;; once, with `count-index` (or `each-key` and `each-value`) unknown: a
;; type error is found, and so is `each-key` under `count` or `count-index`
;; under `for-each`.
;; ---- file modules/node.nim
(define-variables
  (name (type string))
  (size (type number)))

(resource terraform-data "server"
  (input (format "~a:~a" (var name) (var size))))
;; ---- validate
(use-module "./modules/node.nim")

(include node "counted" (count 2)
  (name (format "n-~a" count-index))
  (size count-index))

(include node "keyed" (for-each (map ("a" 1)))
  (name each-key)
  (size each-value))
;; ---- validate
(use-module "./modules/node.nim")

(include node "counted" (count 2)
  (name each-key)
  (size (list count-index)))

(include node "keyed" (for-each (map ("a" 1)))
  (name each-key)
  (size count-index))
