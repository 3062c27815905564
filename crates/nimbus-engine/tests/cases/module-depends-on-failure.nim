;; `depends-on` on an `include` with `count`, naming a resource that fails
;; to create: every block of every instance, and of the modules they
;; include, is skipped, not applied. Once the resource is created the
;; modules follow it; destroy reverses the order: the modules' objects
;; (the nested ones too) go first, the resource they wait for last.
;; ---- file modules/outer/main.tf
resource "terraform-data" "mine" {
  input = "outer"
}

module "inner" {
  source = "./inner"
}
;; ---- file modules/outer/inner/main.tf
resource "terraform-data" "deep" {
  input = "deep"
}
;; ---- apply
(use-module outer "./modules/outer")

(resource terraform-data "gate"
  (input "explode"))

(include outer (count 2) (depends-on (ref terraform-data "gate")))
;; ---- apply --log
(use-module outer "./modules/outer")

(resource terraform-data "gate"
  (input "fine"))

(include outer (count 2) (depends-on (ref terraform-data "gate")))
;; ---- destroy --log
