;; Every kind of duplicate declaration.
(define-variables
  (region (type string) (default "a"))
  (region (type string) (default "b")))

(locals (name "x"))
(locals (name "y"))

(resource null-resource "web")
(resource null-resource "web")
(data local-file "web" (filename "a"))
(data local-file "web" (filename "b"))

(output "o" (value 1))
(output "o" (value 2))

(define-policy p)
(define-policy p)
