;; for-each keys holding `[`, `]`, `"` and `.` (and one ending in `]`):
;; every key is its own instance, planned, applied, listed, replaced,
;; targeted and destroyed by its exact address.
;; ---- apply
(resource terraform-data "odd"
  (for-each (list "a[0]" "b]" "q\"uote" "x.y" "plain"))
  (input each-key))

(output "inputs"
  (value (ref terraform-data "odd" * "output")))
;; ---- plan
;; (nothing changed: every key maps back to its own object)
;; ---- apply --replace terraform-data.odd["a[0]"]
;; ---- apply --target terraform-data.odd["q\"uote"]
(resource terraform-data "odd"
  (for-each (list "a[0]" "b]" "q\"uote" "x.y" "plain"))
  (input (format "~a!" each-key)))

(output "inputs"
  (value (ref terraform-data "odd" * "output")))
;; ---- apply
(resource terraform-data "odd"
  (for-each (list "a[0]" "q\"uote" "plain"))
  (input (format "~a!" each-key)))

(output "inputs"
  (value (ref terraform-data "odd" * "output")))
;; ---- destroy --log
