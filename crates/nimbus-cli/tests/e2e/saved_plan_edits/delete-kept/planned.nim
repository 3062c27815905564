(define-infrastructure t
  (resource terraform-data "keep" (input "k")))
