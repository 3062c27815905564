# Outputs of every kind of type, for `output -json`: literals, conversion
# functions, typed variables, a provider attribute, comprehensions, null
# (not recorded) and a sensitive value.
variable "names" {
  type    = list(string)
  default = ["a", "b"]
}

variable "tags" {
  type    = map(string)
  default = { env = "dev" }
}

variable "ids" {
  type    = set(string)
  default = ["x", "y"]
}

variable "anything" {
  type    = any
  default = { k = [1, 2] }
}

variable "mixed" {
  type    = list(any)
  default = [1, "x", true]
}

variable "mixed_map" {
  type    = map(any)
  default = { a = 1, b = "x" }
}

variable "secret" {
  type      = string
  default   = "hunter2"
  sensitive = true
}

resource "null_resource" "n" {
  triggers = { a = "b" }
}

output "object" { value = { a = 1, b = "two", c = [true] } }
output "map" { value = tomap({ a = "x", b = "y" }) }
output "map_var" { value = var.tags }
output "list_var" { value = var.names }
output "tuple" { value = [1, 2] }
output "list" { value = tolist(["a", "b"]) }
output "set" { value = toset(["b", "a"]) }
output "set_var" { value = var.ids }
output "number" { value = 42 }
output "bool" { value = true }
output "null" { value = null }
output "string" { value = "s" }
output "sensitive" {
  value     = var.secret
  sensitive = true
}
output "any_var" { value = var.anything }
output "for_list" { value = [for n in var.names : upper(n)] }
output "for_map" { value = { for n in var.names : n => 1 } }
output "split" { value = split(",", "a,b") }
output "keys" { value = keys(var.tags) }
output "nested" { value = { tags = var.tags, names = var.names } }
output "element" { value = var.tags["env"] }
output "triggers" { value = null_resource.n.triggers }
output "empty_list" { value = [] }
output "empty_map" { value = {} }
output "mixed" { value = var.mixed }
output "mixed_map" { value = var.mixed_map }
