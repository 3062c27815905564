(define-infrastructure t
  (resource terraform-data "source" (input "v1"))
  (resource terraform-data "sink" (input (ref terraform-data "source" "output"))))
