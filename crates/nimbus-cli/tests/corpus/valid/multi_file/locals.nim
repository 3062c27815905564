(locals
  (tag "1.25"))

(output "image"
  (value (ref terraform-data "app" "input")))
