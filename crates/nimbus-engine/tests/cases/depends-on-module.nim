;; `(depends-on (module NAME))` (Terraform's `depends_on = [module.NAME]`),
;; on a resource and on another `include`: it waits for every block of
;; every instance of the call, and of the modules they include, though
;; nothing refers to them (without it, `second`, included last, would be
;; created first); a failure inside the named module skips what waits for
;; it. Naming a call the module does not have is an error at the name.
;; Destroy reverses the order: what waits for a module goes first.
;; ---- file modules/first/main.tf
resource "terraform-data" "one" {
  count = 2
  input = "one-${count.index}"
}

module "deeper" {
  source = "./deeper"
}
;; ---- file modules/first/deeper/main.tf
resource "terraform-data" "deep" {
  input = "deep"
}
;; ---- file modules/second/main.tf
resource "terraform-data" "two" {
  input = "two"
}
;; ---- file modules/broken/main.tf
resource "terraform-data" "fails" {
  input = "explode"
}
;; ---- apply --log
(use-module first "./modules/first")
(use-module second "./modules/second")

(include first)

(include second (depends-on (module first)))
;; ---- apply
(use-module first "./modules/first")
(use-module second "./modules/second")
(use-module broken "./modules/broken")

(include first)

(include second (depends-on (module first)))

(include broken)

(include second "later" (depends-on (module broken)))

(resource terraform-data "after"
  (input "after")
  (depends-on (module broken)))
;; ---- destroy --log
;; ---- validate
(use-module first "./modules/first")

(resource terraform-data "last"
  (input "last")
  (depends-on (module frist)))

(include first)
