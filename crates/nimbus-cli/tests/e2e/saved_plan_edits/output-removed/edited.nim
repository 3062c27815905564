(define-infrastructure t
  (resource terraform-data "a" (input "v1")))
