;; A saved plan made before the state moved on is refused as stale.
;; ---- save-plan
(resource terraform-data "app"
  (input "a"))
;; ---- apply
;; ---- apply-saved
