;; An edit that turns the saved plan's update into a replacement, or adds
;; a resource the plan does not have, is refused.
;; ---- apply
(resource terraform-data "app"
  (input "v1")
  (triggers-replace "1"))
;; ---- save-plan
(resource terraform-data "app"
  (input "v2")
  (triggers-replace "1"))
;; ---- apply-saved
(resource terraform-data "app"
  (input "v2")
  (triggers-replace "2"))
;; ---- apply-saved
(resource terraform-data "app"
  (input "v2")
  (triggers-replace "1"))

(resource terraform-data "extra"
  (input "e"))
;; ---- apply-saved
(resource terraform-data "app"
  (input "v2")
  (triggers-replace "1"))
