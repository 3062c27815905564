;; examples/web-services written out by hand: the nine resources its
;; three `web-service` uses write, with the values its functions make.
;; The end-to-end test plans both and compares the plans.

(define-variables
  (prefix (type string) (default "nimbus-web")))

(provider localstack (region "us-east-1"))

(resource s3-bucket "orders"
  (bucket-name (format "~a-orders-data" (var prefix)))
  (versioning #t)
  (encryption "AES256")
  (force-destroy #t)
  (tags (map (project (var prefix)) (service "orders") (managed-by "nimbus"))))

(resource iam-role "orders"
  (name (format "~a-orders-role" (var prefix)))
  (assume-role-policy
    (json-encode
      (map (Version "2012-10-17")
        (Statement
          (list (map (Effect "Allow")
                  (Principal (map (Service "lambda.amazonaws.com")))
                  (Action "sts:AssumeRole")))))))
  (inline-policies
    (read-data
      (json-encode
        (map (Version "2012-10-17")
          (Statement
            (list (map (Effect "Allow")
                    (Action (list "s3:GetObject" "s3:ListBucket"))
                    (Resource
                      (list (ref s3-bucket "orders" "arn")
                        (format "~a/*" (ref s3-bucket "orders" "arn")))))))))))
  (tags (map (project (var prefix)) (service "orders") (managed-by "nimbus"))))

(resource lambda "orders"
  (function-name (format "~a-orders-fn" (var prefix)))
  (runtime "python3.12")
  (handler "index.handler")
  (role (ref iam-role "orders" "arn"))
  (code-uri "src")
  (memory-size 256)
  (timeout 10)
  (environment (BUCKET (ref s3-bucket "orders" "name")) (QUEUE "orders") (LOG_LEVEL "info"))
  (tags (map (project (var prefix)) (service "orders") (managed-by "nimbus"))))

(resource s3-bucket "billing"
  (bucket-name (format "~a-billing-data" (var prefix)))
  (versioning #t)
  (encryption "AES256")
  (force-destroy #t)
  (tags (map (project (var prefix)) (service "billing") (managed-by "nimbus"))))

(resource iam-role "billing"
  (name (format "~a-billing-role" (var prefix)))
  (assume-role-policy
    (json-encode
      (map (Version "2012-10-17")
        (Statement
          (list (map (Effect "Allow")
                  (Principal (map (Service "lambda.amazonaws.com")))
                  (Action "sts:AssumeRole")))))))
  (inline-policies
    (read-data
      (json-encode
        (map (Version "2012-10-17")
          (Statement
            (list (map (Effect "Allow")
                    (Action (list "s3:GetObject" "s3:ListBucket"))
                    (Resource
                      (list (ref s3-bucket "billing" "arn")
                        (format "~a/*" (ref s3-bucket "billing" "arn")))))))))))
  (tags (map (project (var prefix)) (service "billing") (managed-by "nimbus"))))

(resource lambda "billing"
  (function-name (format "~a-billing-fn" (var prefix)))
  (runtime "python3.12")
  (handler "index.handler")
  (role (ref iam-role "billing" "arn"))
  (code-uri "src")
  (memory-size 512)
  (timeout 10)
  (environment (BUCKET (ref s3-bucket "billing" "name")) (LOG_LEVEL "debug"))
  (tags (map (project (var prefix)) (service "billing") (managed-by "nimbus"))))

(resource s3-bucket "search"
  (bucket-name (format "~a-search-data" (var prefix)))
  (versioning #t)
  (encryption "AES256")
  (force-destroy #t)
  (tags (map (project (var prefix)) (service "search") (managed-by "nimbus"))))

(resource iam-role "search"
  (name (format "~a-search-role" (var prefix)))
  (assume-role-policy
    (json-encode
      (map (Version "2012-10-17")
        (Statement
          (list (map (Effect "Allow")
                  (Principal (map (Service "lambda.amazonaws.com")))
                  (Action "sts:AssumeRole")))))))
  (inline-policies
    (read-data
      (json-encode
        (map (Version "2012-10-17")
          (Statement
            (list (map (Effect "Allow")
                    (Action (list "s3:GetObject" "s3:ListBucket"))
                    (Resource
                      (list (ref s3-bucket "search" "arn")
                        (format "~a/*" (ref s3-bucket "search" "arn")))))))))))
  (tags (map (project (var prefix)) (service "search") (managed-by "nimbus"))))

(resource lambda "search"
  (function-name (format "~a-search-fn" (var prefix)))
  (runtime "python3.12")
  (handler "index.handler")
  (role (ref iam-role "search" "arn"))
  (code-uri "src")
  (memory-size 128)
  (timeout 10)
  (environment (BUCKET (ref s3-bucket "search" "name")))
  (tags (map (project (var prefix)) (service "search") (managed-by "nimbus"))))

(output "functions"
  (description "The functions' names, by service")
  (value (map (orders (ref lambda "orders" "function-name"))
              (billing (ref lambda "billing" "function-name"))
              (search (ref lambda "search" "function-name")))))
