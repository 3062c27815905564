(define-infrastructure t
  (resource local-file "f" (filename "out/f.txt") (content "v1") (file-permission "0600")))
