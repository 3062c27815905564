(define-infrastructure t
  (resource local-file "f" (filename "out/f.txt") (content "v2") (file-permission "0600")))
