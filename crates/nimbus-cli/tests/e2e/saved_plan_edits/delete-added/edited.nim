(define-infrastructure t
  (resource terraform-data "gone" (input "g")))
