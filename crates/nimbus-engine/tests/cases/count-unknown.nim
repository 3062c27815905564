;; `count` and `for-each` must be known when planning: a count computed
;; from a value known only after apply is an error.
;; ---- apply
(resource random-id "seed"
  (byte-length 4))

(resource terraform-data "copies"
  (count (length (ref random-id "seed" "hex")))
  (input "x"))
