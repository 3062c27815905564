(define-infrastructure t
  (resource terraform-data "a" (input "v0"))
  (output "echo" (value (ref terraform-data "a" "output"))))
