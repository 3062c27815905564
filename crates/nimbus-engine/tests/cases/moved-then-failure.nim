;; The moves of an apply are recorded in their own transaction before any
;; change (Terraform writes them with the refreshed state first): an apply
;; in which a provider call fails keeps them. The object is under its new
;; address after the failed apply, the history has the move, and the next
;; plan has no move left, only the create that failed.
;; ---- apply
(resource terraform-data "old" (input "kept"))
;; ---- apply
(resource terraform-data "new" (input "kept"))
(moved (from terraform-data.old) (to terraform-data.new))
(resource terraform-data "broken" (input "explode"))
;; ---- history resource.move
;; ---- plan
