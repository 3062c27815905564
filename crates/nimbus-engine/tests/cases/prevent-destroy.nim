;; prevent-destroy allows updates in place, but refuses a plan that
;; replaces the object and a destroy; nothing is changed by the refusals.
;; ---- apply
(resource terraform-data "db"
  (input "v1")
  (triggers-replace "generation-1")
  (lifecycle (prevent-destroy #t)))
;; ---- apply
(resource terraform-data "db"
  (input "v2")
  (triggers-replace "generation-1")
  (lifecycle (prevent-destroy #t)))
;; ---- apply
(resource terraform-data "db"
  (input "v2")
  (triggers-replace "generation-2")
  (lifecycle (prevent-destroy #t)))
;; ---- destroy
(resource terraform-data "db"
  (input "v2")
  (triggers-replace "generation-1")
  (lifecycle (prevent-destroy #t)))
