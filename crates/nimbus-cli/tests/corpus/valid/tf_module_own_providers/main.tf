# A legacy module configuring its provider itself, from its variable,
# with an alias its resources name; the module it calls inherits it.
module "legacy" {
  source = "./legacy"
  name   = "x"
}
