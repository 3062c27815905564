(define-infrastructure t
  (resource terraform-data "stamp" (input "same") (triggers-replace "b")))
