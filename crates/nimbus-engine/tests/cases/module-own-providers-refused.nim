;; A module with its own provider configurations cannot be called with
;; `count`, `for-each` or `depends-on` (a configuration is one per module
;; path), nor through a call that has them: refused at that argument, as
;; Terraform refuses it, naming the configurations (a call in a `.tf`
;; module at its `for_each`). Nor may a call pass a
;; configuration the module writes itself (`providers`). Nothing is
;; planned.
;; ---- file modules/site/main.tf
variable "region" {
  type = string
}

provider "labeled" {
  label = var.region
}

provider "labeled" {
  alias = "b"
  label = "b"
}

resource "labeled-thing" "own" {
  input = "own"
}
;; ---- file modules/outer/main.tf
module "inner" {
  source   = "../site"
  for_each = toset(["a"])
  region   = each.key
}
;; ---- validate
(use-module site "./modules/site")

(include site "eu" (count 2) (region "eu-west-1"))
;; ---- plan
(use-module site "./modules/site")

(include site "eu" (for-each (set "a" "b")) (region each-key))
;; ---- plan
(use-module site "./modules/site")

(resource labeled-thing "first" (input "first"))

(include site "eu" (depends-on (ref labeled-thing "first")) (region "eu-west-1"))
;; ---- plan
(use-module "./modules/outer")

(include outer)
;; ---- plan
(use-module "./modules/outer")

(include outer (count 1))
;; ---- plan
(use-module site "./modules/site")

(provider labeled (label "root"))

(include site "eu" (region "eu-west-1") (providers (labeled.b labeled)))
