(resource iam-role "a-role-with-a-really-long-name-that-goes-on" (assume-role-policy (json-encode (policy-document (statement (effect "Allow") (principal (service "lambda.amazonaws.com")) (action "sts:AssumeRole"))))))
(output "connection-string" (value (format "postgres://~a:~a@~a:~a/~a" (var db-user) (var db-password) (ref rds-instance "main" "address") (ref rds-instance "main" "port") (var db-name))))
(description "This is a single string that is much longer than eighty columns and cannot be broken")
(resource s3-bucket "bucket-with-an-extraordinarily-long-name-that-overflows" "extra-arg" "another-one-too")
