;; A sensitive value cannot become a for-each key (keys are part of
;; addresses): a list holding a secret, a whole sensitive list. A map with
;; sensitive values is fine: only `each-value` is secret.
(define-variables
  (secret (type string) (default "Hunter2Secret") (sensitive #t))
  (secret-names (type (list string)) (default (list "a")) (sensitive #t))
  (secret-values (type (map string)) (default (map (a "x"))) (sensitive #t)))

(resource null-resource "list-with-secret"
  (for-each (list "public" (var secret))))

(resource null-resource "sensitive-list"
  (for-each (var secret-names)))

(resource terraform-data "sensitive-values-are-fine"
  (for-each (map (a "1") (b "2")))
  (input each-value))
