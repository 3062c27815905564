;; A plan changes nothing: the plan step leaves no state and no file, the
;; apply that follows does everything.
;; ---- plan
(resource local-file "f"
  (filename "f.txt")
  (content "x"))

(resource terraform-data "t"
  (input "t"))
;; ---- plan-destroy
;; ---- apply
;; ---- plan
(resource local-file "f"
  (filename "f.txt")
  (content "y"))

(resource terraform-data "t"
  (input "u"))
;; ---- apply
;; (the previous plan changed nothing: this one still has both changes)
