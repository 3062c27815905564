;; The configuration edited after `plan -out`: the saved plan is refused
;; before any provider call, naming the address and attribute, and state
;; and files are unchanged. Planned create, update and delete alike.
;; ---- apply
(resource terraform-data "existing"
  (input "v1"))

(resource terraform-data "doomed"
  (input "d"))
;; ---- save-plan
(resource terraform-data "existing"
  (input "REVIEWED"))

(resource local-file "fresh"
  (filename "fresh.txt")
  (content "REVIEWED"))
;; ---- apply-saved
(resource terraform-data "existing"
  (input "SNEAKED-IN"))

(resource local-file "fresh"
  (filename "fresh.txt")
  (content "SNEAKED-IN"))
;; ---- apply-saved
(resource terraform-data "existing"
  (input "REVIEWED"))

(resource local-file "fresh"
  (filename "fresh.txt")
  (content "REVIEWED"))

(resource terraform-data "doomed"
  (input "d"))
;; ---- apply-saved
(resource terraform-data "existing"
  (input "REVIEWED"))

(resource local-file "fresh"
  (filename "fresh.txt")
  (content "REVIEWED"))
