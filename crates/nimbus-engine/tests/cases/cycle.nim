;; Resources that depend on each other are a cycle: an error naming every
;; member, and nothing planned.
;; ---- apply
(resource terraform-data "chicken"
  (input (ref terraform-data "egg" "output")))

(resource terraform-data "egg"
  (input (ref terraform-data "chicken" "output")))
