;; A `moved` block renames a resource: the plan moves the recorded object
;; and has nothing else to do (a moves-only plan is not "no changes"); the
;; apply records the move as one event, and later plans are quiet, with
;; or without the block.
;; ---- apply
(resource terraform-data "old" (input "kept"))
(resource terraform-data "other" (input (ref terraform-data "old" "output")))
;; ---- plan
(resource terraform-data "new" (input "kept"))
(resource terraform-data "other" (input (ref terraform-data "new" "output")))
(moved (from terraform-data.old) (to terraform-data.new))
;; ---- apply
;; ---- history resource.move
;; ---- plan
;; ---- plan
(resource terraform-data "new" (input "kept"))
(resource terraform-data "other" (input (ref terraform-data "new" "output")))
