;; `--target` of a block plans that block and what it depends on, nothing
;; else, with a warning; a later untargeted apply does the rest.
;; ---- apply --target terraform-data.app
(resource terraform-data "network"
  (input "net"))

(resource terraform-data "app"
  (input (ref terraform-data "network" "output")))

(resource terraform-data "unrelated"
  (input "other"))

(resource terraform-data "after-app"
  (input (ref terraform-data "app" "output")))
;; ---- apply
