;; Misspelt and unknown top-level forms, with suggestions.
(resorce null-resource "a")
(define-variable (x (type string)))
(local (y 1))
(frobnicate)
("resource" null-resource "b")
just-a-symbol
"a string"
