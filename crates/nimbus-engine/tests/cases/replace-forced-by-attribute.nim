;; A change of an attribute that forces a new object replaces it: the
;; null-resource's `triggers` change, so it is deleted and created again
;; with a new id, and the terraform-data that copies its id is updated.
;; ---- apply
(resource null-resource "trigger"
  (triggers (version "1")))

(resource terraform-data "copy"
  (input (ref null-resource "trigger" "id")))
;; ---- apply --log
(resource null-resource "trigger"
  (triggers (version "2")))

(resource terraform-data "copy"
  (input (ref null-resource "trigger" "id")))
