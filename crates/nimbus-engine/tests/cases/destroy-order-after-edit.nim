;; The dependencies recorded in state follow the configuration: a
;; `depends-on` added later, with no other change, is recorded by the next
;; apply, so that destroy deletes the dependent first (by name it would
;; come second).
;; ---- apply
(resource terraform-data "first"
  (input "f"))

(resource terraform-data "second"
  (input "s"))
;; ---- apply
(resource terraform-data "first"
  (input "f"))

(resource terraform-data "second"
  (input "s")
  (depends-on (ref terraform-data "first")))
;; ---- destroy --log
