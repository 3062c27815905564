;; A rule that reads a value unknown at plan is undetermined: reported,
;; and checked again at apply with the value known, before the instance's
;; provider call. A rule that fails then stops that instance (what it
;; depends on is applied, what depends on it is skipped); one that passes
;; lets it go ahead. A saved plan is checked the same way.
;; ---- plan
(define-policy guard
  (deny "builtin:Create"
    (when (and (!= address "terraform-data.source") (= (attribute "input") "forbidden")))))
(resource terraform-data "source" (input "forbidden"))
(resource terraform-data "copy" (input (ref terraform-data "source" "output")))
(resource terraform-data "after" (input (ref terraform-data "copy" "output")))
;; ---- apply
;; ---- apply
(define-policy guard
  (deny "builtin:Create" (when (= (attribute "input") "forbidden"))))
(resource terraform-data "source2" (input "fine"))
(resource terraform-data "copy2" (input (ref terraform-data "source2" "output")))
;; ---- save-plan
(define-policy guard
  (deny "builtin:Create"
    (when (and (!= address "terraform-data.source3") (= (attribute "input") "forbidden")))))
(resource terraform-data "source2" (input "fine"))
(resource terraform-data "copy2" (input (ref terraform-data "source2" "output")))
(resource terraform-data "source3" (input "forbidden"))
(resource terraform-data "copy3" (input (ref terraform-data "source3" "output")))
;; ---- apply-saved
