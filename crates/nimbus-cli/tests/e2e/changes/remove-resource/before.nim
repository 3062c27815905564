(define-infrastructure t
  (resource terraform-data "a" (input "a"))
  (resource terraform-data "b" (input "b")))
