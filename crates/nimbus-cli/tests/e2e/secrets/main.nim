;; A secret, passed on to other resources and to a sensitive output.
(define-infrastructure secrets
  (resource random-password "db"
    (length 32)
    (special #f))

  (resource terraform-data "copy"
    (input (ref random-password "db" "result")))

  (resource local-file "config"
    (filename "out/db.conf")
    (content (ref random-password "db" "result")))

  (resource terraform-data "plain"
    (input "not a secret"))

  (output "password"
    (sensitive #t)
    (value (ref random-password "db" "result")))

  (output "plain"
    (value (ref terraform-data "plain" "output"))))
