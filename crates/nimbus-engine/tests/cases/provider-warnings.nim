;; A provider's warnings reach the user with the plan and the apply report,
;; at the attribute they concern, and never fail the run.
;; ---- validate
(resource terraform-data "warned"
  (input "warn-me"))
;; ---- plan
;; ---- apply
