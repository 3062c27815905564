;; `--exclude` leaves out a block and everything that depends on it.
;; ---- apply --exclude terraform-data.database
(resource terraform-data "database"
  (input "db"))

(resource terraform-data "app"
  (input (ref terraform-data "database" "output")))

(resource terraform-data "cache"
  (input "cache"))
;; ---- apply
