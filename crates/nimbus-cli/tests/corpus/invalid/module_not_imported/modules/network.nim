(define-variables
  (cidr (type string)))
