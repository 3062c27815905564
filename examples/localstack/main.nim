;; Nimbus on LocalStack: a versioned, encrypted bucket; an IAM role and a
;; Lambda function that knows the bucket's name; an API Gateway REST API in
;; front of the function; a DynamoDB table; the bucket's ARN as an output.
;;
;;   localstack start -d    (or any emulator: NIMBUS_AWS_ENDPOINT=http://...)
;;   nimbus init && nimbus apply
;;   curl "$(nimbus output api-url)"
;;   nimbus destroy

(define-variables
  (prefix (type string) (default "nimbus-demo")
    (validation (<= (length prefix) 40) "must be at most 40 characters")))

(locals
  (tags (map (project (var prefix)) (managed-by "nimbus"))))

(define-infrastructure localstack-demo
  (provider localstack (region "us-east-1"))

  (resource s3-bucket "data"
    (bucket-name (format "~a-data" (var prefix)))
    (versioning #t)
    (encryption "AES256")
    (force-destroy #t)
    (tags (local tags)))

  (resource iam-role "lambda"
    (name (format "~a-lambda" (var prefix)))
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
                        (list (ref s3-bucket "data" "arn")
                          (format "~a/*" (ref s3-bucket "data" "arn")))))))))))
    (tags (local tags)))

  (resource lambda "api"
    (function-name (format "~a-api" (var prefix)))
    (runtime "python3.12")
    (handler "index.handler")
    (role (ref iam-role "lambda" "arn"))
    (code-uri "src")
    (memory-size 128)
    (timeout 10)
    (environment (BUCKET (ref s3-bucket "data" "name")))
    (tags (local tags)))

  (resource api-gateway-rest-api "api"
    (name (format "~a-api" (var prefix)))
    (endpoint-type "REGIONAL")
    (tags (local tags)))

  (resource api-gateway-resource "items"
    (rest-api-id (ref api-gateway-rest-api "api" "id"))
    (parent-id (ref api-gateway-rest-api "api" "root-resource-id"))
    (path-part "items"))

  (resource api-gateway-method "get-items"
    (rest-api-id (ref api-gateway-rest-api "api" "id"))
    (resource-id (ref api-gateway-resource "items" "resource-id"))
    (http-method "GET"))

  (resource api-gateway-integration "get-items"
    (rest-api-id (ref api-gateway-rest-api "api" "id"))
    (resource-id (ref api-gateway-resource "items" "resource-id"))
    (http-method (ref api-gateway-method "get-items" "http-method"))
    (type "AWS_PROXY")
    (integration-http-method "POST")
    (uri (ref lambda "api" "invoke-arn")))

  (resource lambda-permission "api"
    (function-name (ref lambda "api" "function-name"))
    (statement-id "allow-api-gateway")
    (principal "apigateway.amazonaws.com")
    (source-arn (format "~a/*/*" (ref api-gateway-rest-api "api" "execution-arn"))))

  ;; A new deployment whenever the integration or the code changes; the
  ;; stage moves to it before the old one goes.
  (resource api-gateway-deployment "api"
    (rest-api-id (ref api-gateway-rest-api "api" "id"))
    (triggers
      (integration (ref api-gateway-integration "get-items" "id"))
      (code (ref lambda "api" "source-hash")))
    (lifecycle (create-before-destroy #t)))

  (resource api-gateway-stage "prod"
    (rest-api-id (ref api-gateway-rest-api "api" "id"))
    (stage-name "prod")
    (deployment-id (ref api-gateway-deployment "api" "deployment-id")))

  (resource dynamodb-table "items"
    (name (format "~a-items" (var prefix)))
    (hash-key "id")
    (attribute (name "id") (type "S"))
    (ttl-attribute "expires-at")
    (tags (local tags)))

  (output "bucket-arn"
    (description "ARN of the data bucket")
    (value (ref s3-bucket "data" "arn")))

  (output "api-url"
    (description "GET this URL to invoke the function through API Gateway")
    (value (format "~a/items" (ref api-gateway-stage "prod" "invoke-url")))))
