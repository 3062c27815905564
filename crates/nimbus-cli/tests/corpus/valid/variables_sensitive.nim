;; A sensitive variable stays sensitive through functions; a sensitive
;; output may show it.
(define-variables
  (db-password (type string) (default "hunter2hunter2") (sensitive #t))
  (db-user (type string) (default "admin")))

(locals
  (dsn (format "postgres://~a:~a@db:5432/app" (var db-user) (var db-password))))

(resource terraform-data "connection"
  (input (local dsn)))

(output "dsn"
  (sensitive #t)
  (value (local dsn)))

(output "user"
  (value (var db-user)))
