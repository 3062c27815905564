(define-infrastructure production
  (resource s3-bucket "data\q"
    (size 1.2.3)
    (flag #maybe))
  (output "x" (value 1))))
(locals (a "unterminated
