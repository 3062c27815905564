;; A saved plan made with `--target` is applied with that selection, and
;; the rest of the configuration stays unapplied.
;; ---- save-plan --target terraform-data.chosen
(resource terraform-data "chosen"
  (input "c"))

(resource terraform-data "left-out"
  (input "l"))
;; ---- apply-saved
