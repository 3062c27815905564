;; prevent-destroy belongs to its block: with the block removed from the
;; configuration there is nothing left to protect the object, and it is
;; deleted (as Terraform does).
;; ---- apply
(resource terraform-data "db"
  (input "v1")
  (lifecycle (prevent-destroy #t)))

(resource terraform-data "app"
  (input "a"))
;; ---- apply
(resource terraform-data "app"
  (input "a"))
