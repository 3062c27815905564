;; `providers` on an `include`: the called module's configurations stand
;; for the caller's, aliases included, through every level of modules; a
;; module called without it uses the default configurations. The
;; Terraform-language module passes its own `builtin` on to the module it
;; calls as that module's `builtin.inner`. Passing a configuration that
;; does not exist is an error at its name, a default one too (a typo is
;; not quietly the inherited default).
;; ---- file modules/site/main.tf
resource "terraform-data" "default" {
  input = "default"
}

resource "terraform-data" "aliased" {
  provider = builtin.other
  input    = "aliased"
}

module "deeper" {
  source = "./deeper"
  providers = {
    builtin.inner = builtin
  }
}
;; ---- file modules/site/deeper/main.tf
resource "terraform-data" "deep" {
  provider = builtin.inner
  input    = "deep"
}
;; ---- apply
(use-module site "./modules/site")

(provider builtin (alias west))
(provider builtin (alias east))

(include site "west" (providers (builtin builtin.west) (builtin.other builtin.east)))
(include site "plain" (providers (builtin.other builtin.west)))
;; ---- plan
(use-module site "./modules/site")

(provider builtin (alias west))

(include site "west" (providers (builtin builtin.west) (builtin.other builtin.east)))
;; ---- plan
(use-module site "./modules/site")

(provider builtin (alias west))

(include site "west" (providers (builtin.west)))
;; ---- validate
(use-module site "./modules/site")

(include site "west" (providers (builtin buitlin) (builtin.other builtin)))
