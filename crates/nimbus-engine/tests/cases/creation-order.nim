;; Creation follows dependencies, by reference and by `depends-on`, not
;; the order of the blocks or of their names.
;; ---- apply --log
(resource terraform-data "alpha"
  (input (ref terraform-data "beta" "output")))

(resource terraform-data "beta"
  (input "b")
  (depends-on (ref terraform-data "gamma")))

(resource terraform-data "gamma"
  (input "g"))
