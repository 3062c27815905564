# Applied by Terraform 1.0.3 with its null provider plugin (2.1.2, the one
# version in its mirror); its state is adopted by Nimbus, through the
# equivalent configuration main.nim beside this file (with the same plugin)
# and through this file itself (with the built-in provider, which
# implements null 3.2 and so meets the constraint).
terraform {
  required_providers {
    null = {
      source  = "hashicorp/null"
      version = ">= 2.1"
    }
  }
}

variable "n" {
  type    = number
  default = 2
}

resource "null_resource" "one" {
  triggers = { a = "x" }
}

resource "null_resource" "many" {
  count    = var.n
  triggers = { i = count.index, dep = null_resource.one.id }
}

resource "null_resource" "keyed" {
  for_each = toset(["a", "b.c", "x[\"y\"]"])
  triggers = { k = each.key }
}

data "null_data_source" "d" {
  inputs = { a = "b" }
}

output "ids" {
  value = null_resource.many[*].id
}
