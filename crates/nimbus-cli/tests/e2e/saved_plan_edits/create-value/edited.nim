(define-infrastructure t
  (resource terraform-data "msg" (input "SNEAKED-IN")))
