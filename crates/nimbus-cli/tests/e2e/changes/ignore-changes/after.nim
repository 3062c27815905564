(define-infrastructure t
  (resource terraform-data "a" (input "v2") (lifecycle (ignore-changes input))))
