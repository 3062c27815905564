;; One of each top-level form, outside define-infrastructure.
(define-variables
  (owner (type string) (default "platform")))

(locals
  (owner-tag (upper (var owner))))

(provider builtin)

(resource terraform-data "marker"
  (input (local owner-tag)))

(data local-file "self"
  (filename "main.nim"))

(output "marker-id"
  (description "The id of the marker")
  (value (ref terraform-data "marker" "id")))

(define-policy guard-rails
  (require-tags "owner"))

(define-infrastructure everything
  (resource null-resource "inside"
    (depends-on (ref terraform-data "marker"))))
