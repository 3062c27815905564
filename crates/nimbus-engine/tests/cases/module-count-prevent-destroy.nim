;; `prevent-destroy` inside a module protects the objects of every
;; instance of an `include` with `count`: lowering the count would destroy
;; instance 1's, so the plan is refused and state keeps both.
;; ---- file modules/vault.nim
(resource terraform-data "secret"
  (input "kept")
  (lifecycle (prevent-destroy #t)))
;; ---- apply
(use-module "./modules/vault.nim")

(include vault (count 2))
;; ---- apply
(use-module "./modules/vault.nim")

(include vault (count 1))
