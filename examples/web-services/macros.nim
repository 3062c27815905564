;; `(web-service PREFIX SERVICE (memory MB) (env (KEY VALUE) ...))`: a
;; service's bucket, the role its function runs as (reading that bucket
;; only) and the function, which is told the bucket's name. One use
;; writes three resources, named after the service. (A pattern variable
;; is replaced wherever it stands, attribute names included: so this one
;; is `service`, not `name`, which the role and the bucket use as
;; attributes.)
(define-syntax web-service
  (syntax-rules (memory env)
    ((_ prefix service (memory mb) (env (key value) ...))
     (begin
       (resource s3-bucket service
         (bucket-name (service-name prefix service "data"))
         (versioning #t)
         (encryption "AES256")
         (force-destroy #t)
         (tags (service-tags prefix service)))
       (resource iam-role service
         (name (service-name prefix service "role"))
         (assume-role-policy lambda-trust)
         (inline-policies (read-data (read-bucket (ref s3-bucket service "arn"))))
         (tags (service-tags prefix service)))
       (resource lambda service
         (function-name (service-name prefix service "fn"))
         (runtime "python3.12")
         (handler "index.handler")
         (role (ref iam-role service "arn"))
         (code-uri "src")
         (memory-size mb)
         (timeout 10)
         (environment (BUCKET (ref s3-bucket service "name")) (key value) ...)
         (tags (service-tags prefix service)))))
    ;; Without settings: 128 MB and no environment of its own.
    ((_ prefix service) (web-service prefix service (memory 128) (env)))))
