(define-infrastructure t
  (resource terraform-data "keep" (input "k"))
  (resource terraform-data "gone" (input "g")))
