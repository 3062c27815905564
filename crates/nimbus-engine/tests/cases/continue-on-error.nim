;; A failing resource stops only what depends on it: its dependents are
;; skipped, an independent branch is applied, outputs are not recorded
;; from a half-applied run. Fixing the input lets the next apply finish.
;; ---- apply
(resource terraform-data "bad"
  (input "explode"))

(resource terraform-data "after-bad"
  (input (ref terraform-data "bad" "output")))

(resource null-resource "after-after"
  (triggers (upstream (ref terraform-data "after-bad" "id"))))

(resource terraform-data "independent"
  (count 2)
  (input (format "fine-~a" count-index)))

(output "independent"
  (value (ref terraform-data "independent" * "output")))
;; ---- apply
(resource terraform-data "bad"
  (input "fixed"))

(resource terraform-data "after-bad"
  (input (ref terraform-data "bad" "output")))

(resource null-resource "after-after"
  (triggers (upstream (ref terraform-data "after-bad" "id"))))

(resource terraform-data "independent"
  (count 2)
  (input (format "fine-~a" count-index)))

(output "independent"
  (value (ref terraform-data "independent" * "output")))
