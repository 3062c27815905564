# A module called with `count` and with `for_each`, calling another.
variable "name" {
  type = string

  validation {
    condition     = length(var.name) > 0
    error_message = "A node needs a name."
  }
}

variable "index" {
  type = number
}

variable "labels" {
  type    = map(string)
  default = {}
}

locals {
  label = "${var.name}:${var.index}"
}

resource "null_resource" "this" {
  triggers = merge(var.labels, { name = var.name, index = var.index })
}

module "meta" {
  source = "../meta"
  parent = null_resource.this.triggers.name
  keys   = keys(var.labels)
}

output "id" {
  value = null_resource.this.id
}

output "label" {
  value = local.label
}

output "meta" {
  value = module.meta.summary
}
