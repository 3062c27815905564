;; for-each cannot use a sensitive value: its keys would become addresses.
;; ---- plan
(define-variables
  (users (type (list string)) (default (list "ann" "bob")) (sensitive #t)))

(resource terraform-data "user"
  (for-each (var users))
  (input each-key))
