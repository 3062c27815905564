(define-infrastructure t
  (resource terraform-data "config" (input "v2")))
