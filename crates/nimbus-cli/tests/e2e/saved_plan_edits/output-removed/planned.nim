(define-infrastructure t
  (resource terraform-data "a" (input "v1"))
  (output "echo" (value (ref terraform-data "a" "output"))))
