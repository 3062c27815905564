;; Conditions that cannot be judged are located errors, never a panic: a
;; condition that is no bool, `self` outside a postcondition, a reference
;; to a resource that does not exist, `replace-triggered-by` naming a
;; data source or nothing declared; a message that would reveal a
;; secret is withheld; a trigger naming an instance of a counted block
;; by a string.
;; ---- plan
(resource terraform-data "a"
  (input "x")
  (lifecycle (precondition "yes please" "not a bool")))
;; ---- plan
(resource terraform-data "a"
  (input "x")
  (lifecycle (postcondition null "no condition")))
;; ---- validate
(resource terraform-data "a"
  (input (get self "output"))
  (lifecycle (precondition (= (get self "input") "x") "self is not here")))
;; ---- validate
(resource terraform-data "a"
  (input "x")
  (lifecycle (precondition (= (ref terraform-data "missing" "output") "x") "missing")))
;; ---- validate
(resource terraform-data "a"
  (input "x")
  (lifecycle
    (replace-triggered-by (ref terraform-data "missing") (ref data local-file "f") "text")
    (postcondition #t)))
;; ---- validate
(check "c"
  (assert (ref terraform-data "missing" "id") "missing"))
;; ---- validate
(check "empty")
;; ---- plan
(resource terraform-data "a"
  (input "x")
  (lifecycle (precondition #f (string-append "the input is " (sensitive "hunter2")))))
;; ---- plan
(resource terraform-data "shard"
  (count 2)
  (input count-index))

(resource terraform-data "worker"
  (input "w")
  (lifecycle (replace-triggered-by (ref terraform-data "shard" "input"))))
