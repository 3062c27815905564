(use-module "./label.nim")

(define-variables
  (name (type string)))

(include label (text (var name)))

(resource terraform-data "service"
  (input (module-output label "value")))

(output "id"
  (value (ref terraform-data "service" "id")))
