;; A precondition that depends on a value known only after apply passes
;; the plan and is checked at apply, before the instance's change: the
;; instance fails, what depends on it is skipped, and what was applied
;; before stays recorded. The same holds for a saved plan.
;; ---- apply
(resource random-string "token"
  (length 4)
  (special #f))

(resource terraform-data "uses-token"
  (input (ref random-string "token" "result"))
  (lifecycle
    (precondition (= (length (ref random-string "token" "result")) 8) "the token must have 8 characters")))

(resource terraform-data "downstream"
  (input (ref terraform-data "uses-token" "output")))
;; ---- destroy
;; ---- save-plan
;; ---- apply-saved
