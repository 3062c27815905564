;; Secrets stay masked: a sensitive variable in an input, a generated
;; password passed through a resource, and sensitive outputs, in plans,
;; updates and recorded outputs alike.
;; ---- apply
(define-variables
  (db-password (type string) (default "Hunter2Secret") (sensitive #t)))

(resource random-password "admin"
  (length 16))

(resource terraform-data "db"
  (input (var db-password)))

(resource terraform-data "public"
  (input "visible"))

(output "db-input"
  (value (ref terraform-data "db" "output"))
  (sensitive #t))

(output "public"
  (value (ref terraform-data "public" "output")))
;; ---- apply
(define-variables
  (db-password (type string) (default "Hunter3Secret") (sensitive #t)))

(resource random-password "admin"
  (length 16))

(resource terraform-data "db"
  (input (var db-password)))

(resource terraform-data "admin-copy"
  (input (ref random-password "admin" "result")))

(resource terraform-data "public"
  (input "visible"))

(output "db-input"
  (value (ref terraform-data "db" "output"))
  (sensitive #t))

(output "public"
  (value (ref terraform-data "public" "output")))

(output "admin-copy-id"
  (value (ref terraform-data "admin-copy" "id")))
