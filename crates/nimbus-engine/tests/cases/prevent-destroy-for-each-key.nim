;; prevent-destroy protects an instance whose for-each key went away: the
;; plan is refused. Adding a key is fine.
;; ---- apply
(resource terraform-data "bucket"
  (for-each (list "logs" "data"))
  (input each-key)
  (lifecycle (prevent-destroy #t)))
;; ---- apply
(resource terraform-data "bucket"
  (for-each (list "data"))
  (input each-key)
  (lifecycle (prevent-destroy #t)))
;; ---- apply
(resource terraform-data "bucket"
  (for-each (list "logs" "data" "backup"))
  (input each-key)
  (lifecycle (prevent-destroy #t)))
