(define-variables (prefix (type string) (default "reviewed")))
(define-infrastructure t
  (resource terraform-data "base" (input (var prefix)))
  (resource local-file "f" (filename "out/other.txt") (content (format "~a-file" (ref terraform-data "base" "output")))))
