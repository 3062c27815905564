;; The basic actions: a first apply creates everything, an edit of
;; terraform-data's `input` updates it in place (its `output` and the
;; output that reads it are known only after apply), and applying the
;; same configuration again changes nothing.
;; ---- apply
(resource terraform-data "config"
  (input "v1"))

(resource null-resource "anchor")

(output "config"
  (value (ref terraform-data "config" "output")))
;; ---- apply
(resource terraform-data "config"
  (input "v2"))

(resource null-resource "anchor")

(output "config"
  (value (ref terraform-data "config" "output")))
;; ---- apply
;; (the same configuration)
