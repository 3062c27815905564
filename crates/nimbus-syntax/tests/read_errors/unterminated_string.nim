(resource s3-bucket "data-bucket
  (versioning #t))
