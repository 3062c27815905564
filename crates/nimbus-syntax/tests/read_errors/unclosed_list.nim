(define-infrastructure production
  (resource s3-bucket "data"
    (versioning #t))
