(define-infrastructure t
  (resource terraform-data "source" (input "v2"))
  (resource terraform-data "sink" (input (ref terraform-data "source" "output"))))
