(define-infrastructure t
  (resource terraform-data "a" (input "a"))
  (resource local-file "f" (filename "out/f.txt") (content "x\n")))
