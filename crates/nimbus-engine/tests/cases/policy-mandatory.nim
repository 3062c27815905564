;; A mandatory `deny` blocks the plan, the apply, a saved plan and a
;; destroy whose change it matches (`builtin:Delete` of a built-in type,
;; its condition reading the object being deleted); the report names the
;; rule, the level, the address and the resource's location. Changes the
;; rule does not match go ahead.
;; ---- apply
(resource terraform-data "prod" (input (map ("Environment" "Production"))))
(resource terraform-data "dev" (input (map ("Environment" "Dev"))))
;; ---- plan
(define-policy guard
  (deny "builtin:Delete"
    (when (= (attribute "input" "Environment") "Production"))))
(resource terraform-data "dev" (input (map ("Environment" "Dev"))))
;; ---- apply
;; ---- save-plan
;; ---- apply-saved
;; ---- destroy
(define-policy guard
  (deny "builtin:Delete"
    (when (= (attribute "input" "Environment") "Production"))))
(resource terraform-data "prod" (input (map ("Environment" "Production"))))
(resource terraform-data "dev" (input (map ("Environment" "Dev"))))
;; ---- destroy --target terraform-data.dev
