# Applied by Terraform 1.0.3; its state is adopted by Nimbus, whose
# equivalent configuration is main.nim beside this file.
terraform {
  required_providers {
    null = {
      source  = "hashicorp/null"
      version = "2.1.2"
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
