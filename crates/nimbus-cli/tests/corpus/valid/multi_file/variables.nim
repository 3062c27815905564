(define-variables
  (image (type string) (default "nginx")))
