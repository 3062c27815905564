;; A called module's own provider configurations (Terraform's legacy
;; `provider` blocks inside a module, not passed with `providers`): they
;; serve the module's resources instead of the root's, are evaluated in
;; the module (from its variables), and are recorded under the module's
;; path (`module.NAME.labeled`, aliased ones `module.NAME.labeled.b`); a
;; module it calls without `providers` inherits them. The Terraform
;; language and .nim alike. Changing a module's variable reconfigures
;; its configuration, and so its objects.
;; ---- file modules/site/main.tf
variable "region" {
  type = string
}

provider "labeled" {
  label = "site-${var.region}"
}

provider "labeled" {
  alias = "b"
  label = "site-b"
}

resource "labeled-thing" "own" {
  input = "own"
}

resource "labeled-thing" "aliased" {
  provider = labeled.b
  input    = "aliased"
}

module "deeper" {
  source = "./deeper"
}
;; ---- file modules/site/deeper/main.tf
resource "labeled-thing" "inherited" {
  input = "inherited"
}
;; ---- file modules/zone.nim
(define-variables (zone (type string)))

(provider labeled (label (format "zone-~a" (var zone))))

(resource labeled-thing "own" (input "own"))
;; ---- apply
(use-module site "./modules/site")
(use-module "./modules/zone.nim")

(provider labeled (label "root"))

(resource labeled-thing "root" (input "root"))

(include site "eu" (region "eu-west-1"))
(include zone (zone "z1"))
;; ---- apply
(use-module site "./modules/site")
(use-module "./modules/zone.nim")

(provider labeled (label "root"))

(resource labeled-thing "root" (input "root"))

(include site "eu" (region "eu-west-2"))
(include zone (zone "z1"))
