# A legacy module: it configures its provider itself (and an alias of
# it), so its objects are served by `module.legacy.provider[...]`, not the
# root's configuration; the module it calls inherits that configuration.
variable "name" {
  type = string
}

provider "null" {}

provider "null" {
  alias = "b"
}

resource "null_resource" "own" {
  triggers = { name = var.name }
}

resource "null_resource" "aliased" {
  provider = null.b
  triggers = { name = "${var.name}-b" }
}

module "meta" {
  source = "../meta"
  parent = null_resource.own.triggers.name
  keys   = ["x"]
}

output "ids" {
  value = [null_resource.own.id, null_resource.aliased.id]
}
