;; A tainted object is replaced by the next apply, with the reason shown;
;; the replacement is recorded ready again.
;; ---- apply
(resource terraform-data "app"
  (input "v1"))

(resource terraform-data "other"
  (input "o"))
;; ---- taint terraform-data.app
;; ---- apply
;; ---- taint terraform-data.ghost
