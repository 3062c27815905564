;; One failing branch (bad -> after-bad -> after-after) next to an
;; independent branch of 50 resources. The tests make `bad` fail by setting
;; NIMBUS_BUILTIN_FAULT_INPUT=explode.
(define-infrastructure continue-on-error
  (resource terraform-data "bad"
    (input "explode"))

  (resource terraform-data "after-bad"
    (input (ref terraform-data "bad" "output")))

  (resource null-resource "after-after"
    (triggers (upstream (ref terraform-data "after-bad" "id"))))

  (resource null-resource "independent"
    (count 50)))
