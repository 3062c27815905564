;; Every block form may sit at the top level or inside define-infrastructure.
(define-infrastructure demo
  (define-variables
    (region (type string) (default "eu-west-1")))
  (locals
    (name (format "demo-~a" (var region))))
  (resource null-resource "a"
    (triggers (name (local name))))
  (data local-file "readme"
    (filename "README.md"))
  (output "name"
    (value (local name))))
