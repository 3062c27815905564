;; A soft-mandatory rule blocks unless overridden: the override goes
;; ahead, is reported as such, and is recorded in the state's event log
;; with its reason. An override naming no rule is refused, changing nothing.
;; ---- apply
(resource terraform-data "db" (input "v1"))
;; ---- apply
(define-policy change-freeze
  (enforcement soft-mandatory)
  (deny "builtin:Update" (when (resource-type "terraform-data"))))
(resource terraform-data "db" (input "v2"))
;; ---- apply --override change-freeze.warn ticket-1
;; ---- apply --override change-freeze.deny ticket-42
;; ---- history policy.override
