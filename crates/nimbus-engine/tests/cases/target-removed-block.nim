;; A block removed from the configuration is deleted under `--target` only
;; when a target names it.
;; ---- apply
(resource terraform-data "a"
  (input "a"))

(resource terraform-data "b"
  (input "b"))

(resource terraform-data "c"
  (input "c"))
;; ---- apply --target terraform-data.a
(resource terraform-data "a"
  (input "a"))
;; ---- apply --target terraform-data.b
