;; Three web services, each a bucket, a role and a Lambda function, written
;; with the `web-service` macro (macros.nim) and the functions of lib.nim.
;; `nimbus plan` shows the nine resources the three uses write.
;;
;;   localstack start -d    (or any emulator: NIMBUS_AWS_ENDPOINT=http://...)
;;   nimbus init && nimbus apply
;;   nimbus destroy

(define-variables
  (prefix (type string) (default "nimbus-web")
    (validation (<= (length prefix) 30) "must be at most 30 characters")))

(provider localstack (region "us-east-1"))

(web-service (var prefix) "orders" (memory 256) (env (QUEUE "orders") (LOG_LEVEL "info")))
(web-service (var prefix) "billing" (memory 512) (env (LOG_LEVEL "debug")))
(web-service (var prefix) "search")

(output "functions"
  (description "The functions' names, by service")
  (value (map (orders (ref lambda "orders" "function-name"))
              (billing (ref lambda "billing" "function-name"))
              (search (ref lambda "search" "function-name")))))
