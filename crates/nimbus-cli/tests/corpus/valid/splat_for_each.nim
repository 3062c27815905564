;; `*` as the index selects every instance: a map by key for for-each.
(resource random-password "db"
  (for-each (list "reader" "writer"))
  (length 24))

(resource terraform-data "users"
  (for-each (list "reader" "writer"))
  (input each-key))

(output "user-ids"
  (value (ref terraform-data "users" * "id")))

(output "passwords"
  (sensitive #t)
  (value (ref random-password "db" * "result")))

(output "none"
  (value (ref terraform-data "empty" * "id")))

(resource terraform-data "empty"
  (for-each (map))
  (input "never"))
