;; A postcondition checks the object itself (`self`): known while
;; planning, a false one fails the plan; known only after apply, it fails
;; the run once the object is made (which stays recorded) and stops what
;; depends on it.
;; ---- plan
(resource terraform-data "known"
  (input "small")
  (lifecycle
    (postcondition (= (get self "input") "large") "the input must be large")))
;; ---- apply
(resource terraform-data "made"
  (input "anything")
  (lifecycle
    (postcondition (= (length (get self "id")) 3) "the id must have 3 characters")
    (postcondition (!= (get self "input") "") "the input must not be empty")))

(resource terraform-data "dependent"
  (input (ref terraform-data "made" "id")))

(resource terraform-data "independent"
  (input "free"))
;; ---- apply
(resource terraform-data "made"
  (input "anything")
  (lifecycle
    (postcondition (> (length (get self "id")) 3) "the id must be long")))

(resource terraform-data "dependent"
  (input (ref terraform-data "made" "id")))

(resource terraform-data "independent"
  (input "free"))
