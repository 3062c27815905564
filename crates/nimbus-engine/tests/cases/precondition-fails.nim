;; A false precondition fails the plan with the instance's address, the
;; precondition's location and its message; nothing is applied. Output
;; preconditions are checked before the output is recorded.
;; ---- plan
(locals (replicas 2))

(resource terraform-data "web"
  (input (local replicas))
  (lifecycle
    (precondition (>= (local replicas) 3) (string-append "need 3 replicas, have " (to-string (local replicas))))))

(resource terraform-data "after"
  (input (ref terraform-data "web" "output")))
;; ---- apply
;; ---- apply
(locals (replicas 3))

(resource terraform-data "web"
  (input (local replicas))
  (lifecycle
    (precondition (>= (local replicas) 3) (string-append "need 3 replicas, have " (to-string (local replicas))))))

(output "replicas"
  (value (ref terraform-data "web" "output"))
  (precondition (< (ref terraform-data "web" "output") 3) "at most 2 replicas are reported"))
;; ---- plan
(locals (replicas 3))

(resource terraform-data "web"
  (input (local replicas))
  (lifecycle
    (precondition (>= (local replicas) 3) "need 3 replicas")))

(output "replicas"
  (value (ref terraform-data "web" "output"))
  (precondition (>= (ref terraform-data "web" "output") 3) "at least 3 replicas"))
;; ---- plan
(locals (replicas 3))

(resource terraform-data "web"
  (input (local replicas))
  (lifecycle
    (precondition (>= (local replicas) 3) "need 3 replicas")))

(output "replicas"
  (value (ref terraform-data "web" "output"))
  (precondition (> (ref terraform-data "web" "output") 3) "more than 3 replicas"))
