;; State in S3 (or an S3-compatible store), locked with a DynamoDB table.
(backend s3
  (bucket "acme-state")
  (key "network/state")
  (region "eu-west-1")
  (endpoint "http://127.0.0.1:4566")
  (lock dynamodb)
  (dynamodb-table "acme-locks")
  (encrypt #t))
