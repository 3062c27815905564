(define-variables
  (cidr (type string)
    (validation (ends-with cidr "/16") "must be a /16"))
  (name (type string))
  (subnet-count (type number) (default 2)))
