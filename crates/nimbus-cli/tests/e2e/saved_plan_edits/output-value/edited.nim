(define-infrastructure t
  (resource terraform-data "a" (input "a"))
  (output "greeting" (value "SNEAKED-IN")))
