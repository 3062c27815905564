;; `timestamp` and `uuid` read the clock and draw random values only at
;; apply: a plan shows them as known after apply, the apply records them.
;; ---- plan
(resource terraform-data "stamped"
  (input (list (timestamp) (length (uuid)))))
;; ---- apply
