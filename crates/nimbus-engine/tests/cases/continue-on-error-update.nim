;; An update that fails leaves the recorded object as it was, and its
;; dependents untouched, while an unrelated update goes through.
;; ---- apply
(resource terraform-data "config"
  (input "good"))

(resource terraform-data "reader"
  (input (ref terraform-data "config" "output")))

(resource terraform-data "other"
  (input "v1"))
;; ---- apply
(resource terraform-data "config"
  (input "explode"))

(resource terraform-data "reader"
  (input (ref terraform-data "config" "output")))

(resource terraform-data "other"
  (input "v2"))
;; ---- plan
;; (what is left to do)
