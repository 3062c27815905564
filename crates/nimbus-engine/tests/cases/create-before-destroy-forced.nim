;; create-before-destroy is forced onto everything a block with it depends
;; on, as Terraform does: `base` is replaced create-before-destroy because
;; `app` (which has the setting) depends on it through a local; `other`,
;; which nothing with the setting depends on, is not.
;; ---- apply
(locals (base-id (ref null-resource "base" "id")))

(resource null-resource "base"
  (triggers (v "1")))

(resource null-resource "other"
  (triggers (v "1")))

(resource null-resource "app"
  (triggers (base (local base-id)))
  (lifecycle (create-before-destroy #t)))
;; ---- plan
(locals (base-id (ref null-resource "base" "id")))

(resource null-resource "base"
  (triggers (v "2")))

(resource null-resource "other"
  (triggers (v "2")))

(resource null-resource "app"
  (triggers (base (local base-id)))
  (lifecycle (create-before-destroy #t)))
