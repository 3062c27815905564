(define-policy encryption-at-rest
  (description "All storage must be encrypted at rest")
  (applies-to s3-bucket rds-instance ebs-volume)
  (check
    (or (and (eq? (resource-type) 's3-bucket) (get resource 'server-side-encryption))
        (and (eq? (resource-type) 'rds-instance) (get resource 'storage-encrypted))
        (get resource 'encrypted)))
  (severity error))
