;; An output edited after `plan -out` is a departure from the saved plan.
;; ---- save-plan
(resource terraform-data "app"
  (input "a"))

(output "greeting"
  (value "hello"))
;; ---- apply-saved
(resource terraform-data "app"
  (input "a"))

(output "greeting"
  (value "goodbye"))
;; ---- apply-saved
(resource terraform-data "app"
  (input "a"))

(output "greeting"
  (value "hello"))
