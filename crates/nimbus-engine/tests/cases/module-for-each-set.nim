;; `for-each` on an `include` over a set of strings: each string is a key
;; and its own `each-value`. Removing a string deletes that instance's
;; objects; the others are unchanged.
;; ---- file modules/queue.nim
(define-variables
  (name (type string)))

(resource terraform-data "queue"
  (input (var name)))
;; ---- apply
(use-module "./modules/queue.nim")

(include queue (for-each (to-set (list "orders" "billing" "audit")))
  (name (format "~a=~a" each-key each-value)))
;; ---- apply
(use-module "./modules/queue.nim")

(include queue (for-each (to-set (list "orders" "audit")))
  (name (format "~a=~a" each-key each-value)))
