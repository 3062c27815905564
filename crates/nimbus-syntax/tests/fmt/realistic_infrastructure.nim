;;; Production stack for the data pipeline.
;;; Run `nimbus plan` before every apply.

(define-variables
  (environment (type string) (default "development"))
  (instance-count (type number) (default 1)
    (validation (> instance-count 0) "must be positive")))

(define-infrastructure production
  (provider localstack
    (endpoint "http://localhost:4566")
    (region "us-east-1"))
  ; the bucket
  (resource s3-bucket "data-bucket"
    (bucket-name (format "data-~a" (var environment)))
    (versioning #t)
    (tags (Environment (var environment))))
  (output "bucket-arn"
    (value (ref s3-bucket "data-bucket" "arn"))))
