# A module with its own provider configurations, called with count,
# for_each and depends_on, and passed one of its own configurations.
resource "null_resource" "first" {}

module "counted" {
  source = "./legacy"
  count  = 2
}

module "keyed" {
  source   = "./legacy"
  for_each = toset(["a"])
}

module "after" {
  source     = "./legacy"
  depends_on = [null_resource.first]
}

module "overridden" {
  source = "./legacy"
  providers = {
    null.b = null
  }
}
