;; With create-before-destroy the replacement is created first and the old
;; object deleted afterwards; the plan says so.
;; ---- apply
(resource null-resource "server"
  (triggers (image "v1"))
  (lifecycle (create-before-destroy #t)))
;; ---- apply --log
(resource null-resource "server"
  (triggers (image "v2"))
  (lifecycle (create-before-destroy #t)))
