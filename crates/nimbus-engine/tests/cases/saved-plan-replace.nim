;; A saved plan made with `--replace` replaces that instance when applied.
;; ---- apply
(resource terraform-data "app"
  (input "a"))
;; ---- save-plan --replace terraform-data.app
;; ---- apply-saved
