;; An output that shows a sensitive value must say so with (sensitive #t).
(define-variables
  (token (type string) (default "s3cr3t") (sensitive #t)))

(resource random-password "db"
  (length 16))

(output "token"
  (value (var token)))

(output "password"
  (value (ref random-password "db" "result")))

(output "derived"
  (description "a function of a secret is a secret")
  (value (format "Bearer ~a" (var token))))

(output "inside-a-map"
  (value (map (url "https://example.com") (token (var token)))))
