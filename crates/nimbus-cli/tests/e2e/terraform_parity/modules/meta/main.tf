variable "parent" {
  type = string
}

variable "keys" {
  type = list(string)
}

resource "null_resource" "key" {
  for_each = toset(var.keys)
  triggers = { parent = var.parent, key = upper(each.key) }
}

output "summary" {
  value = format("%s has %d keys", var.parent, length(var.keys))
}
