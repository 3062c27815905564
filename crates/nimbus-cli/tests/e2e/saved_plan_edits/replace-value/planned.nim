(define-infrastructure t
  (resource local-file "f" (filename "out/f.txt") (content "REVIEWED")))
