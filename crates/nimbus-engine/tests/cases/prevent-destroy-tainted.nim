;; A tainted object under prevent-destroy: replacing it is refused, and
;; the error says the taint is why.
;; ---- apply
(resource terraform-data "db"
  (input "v1")
  (lifecycle (prevent-destroy #t)))
;; ---- taint terraform-data.db
;; ---- plan
