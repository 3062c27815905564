;; What a `moved` block cannot do: move onto an object already recorded,
;; move from an instance the configuration still declares, change the
;; type, or read as an address. Moving to an instance the configuration
;; does not declare moves the object, which is then destroyed as any
;; object no longer configured (Terraform's rule).
;; ---- apply
(resource terraform-data "a" (input "a"))
(resource terraform-data "b" (input "b"))
(resource terraform-data "n" (count 2) (input "n"))
;; ---- plan
(resource terraform-data "b" (input "b"))
(resource terraform-data "n" (count 2) (input "n"))
(moved (from terraform-data.a) (to terraform-data.b))
;; ---- plan
(resource terraform-data "a" (input "a"))
(resource terraform-data "b" (input "b"))
(resource terraform-data "n" (count 2) (input "n"))
(moved (from terraform-data.n[1]) (to terraform-data.n[2]))
;; ---- plan
(resource terraform-data "b" (input "b"))
(resource random-id "a" (byte-length 4))
(resource terraform-data "n" (count 2) (input "n"))
(moved (from terraform-data.a) (to random-id.a))
(moved (from "terraform-data.a[") (to terraform-data.z))
(moved (from (module)) (to terraform-data.z))
;; ---- plan
(resource terraform-data "b" (input "b"))
(resource terraform-data "n" (count 2) (input "n"))
(moved (from terraform-data.a) (to terraform-data.n[7]))
