;; for-each needs a map or a list of strings.
(resource null-resource "number"
  (for-each 3))

(resource null-resource "numbers"
  (for-each (list 1 2)))

(resource null-resource "string"
  (for-each "a"))

(define-variables
  (secret-names (type (list string)) (default (list "a")) (sensitive #t)))

(resource null-resource "sensitive"
  (for-each (var secret-names)))
