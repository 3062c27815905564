;; A saved destroy plan deletes what it listed, dependents first.
;; ---- apply
(resource terraform-data "a"
  (input "a"))

(resource terraform-data "b"
  (input (ref terraform-data "a" "output")))
;; ---- save-plan --destroy
;; ---- apply-saved --log
