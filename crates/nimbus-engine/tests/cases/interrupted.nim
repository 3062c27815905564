;; An apply interrupted before it started anything skips every change and
;; records nothing, outputs included; the next apply does the work.
;; ---- apply --interrupted
(resource terraform-data "a"
  (input "a"))

(resource terraform-data "b"
  (input (ref terraform-data "a" "output")))

(output "b"
  (value (ref terraform-data "b" "output")))
;; ---- apply
