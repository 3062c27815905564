;; AWS types need an AWS provider block: say so rather than only
;; "unknown type".
(resource s3-bucket "logs"
  (bucket "logs"))

(resource dynamodb-table "locks"
  (name "locks"))
