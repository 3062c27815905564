;; `(depends-on (module NAME))` (Terraform's `depends_on = [module.NAME]`),
;; on a resource and on another `include`: it waits for every block of
;; every instance of the call, and of the modules they include, though
;; nothing refers to them. Naming a call the module does not have is an
;; error at the name.
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
;; ---- apply --log
(use-module first "./modules/first")
(use-module second "./modules/second")

(resource terraform-data "last"
  (input "last")
  (depends-on (module second)))

(include second (depends-on (module first)))

(include first)
;; ---- validate
(use-module first "./modules/first")

(resource terraform-data "last"
  (input "last")
  (depends-on (module frist)))

(include first)
