(define-infrastructure t
  (resource terraform-data "a" (input "a"))
  (resource local-file "extra" (filename "out/extra.txt") (content "not reviewed")))
