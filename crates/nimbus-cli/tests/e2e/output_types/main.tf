# Outputs of every kind of type, for `output -json`: literals, conversion
# functions, typed variables, a provider attribute, comprehensions, null
# (not recorded), a sensitive value, conditionals, collection functions,
# indexes and splats.
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

variable "groups" {
  type    = map(list(string))
  default = { g = ["x", "y"] }
}

variable "rows" {
  type    = list(map(string))
  default = [{ k = "v" }]
}

variable "lists" {
  type    = list(list(string))
  default = [["a"], ["b", "c"]]
}

variable "flag" {
  type    = bool
  default = true
}

variable "secret" {
  type      = string
  default   = "hunter2"
  sensitive = true
}

resource "null_resource" "n" {
  triggers = { a = "b" }
}

resource "null_resource" "c" {
  count    = 2
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
# The two sides of a conditional unify (an empty object with a map, a
# tuple with a list).
output "cond_map" { value = var.flag ? var.tags : {} }
output "cond_map_false" { value = !var.flag ? var.tags : {} }
output "cond_list" { value = var.flag ? var.names : [] }
output "cond_groups" { value = var.flag ? var.groups : {} }
output "cond_tuple_list" { value = var.flag ? var.names : ["c"] }
output "cond_object" { value = var.flag ? { a = 1 } : { a = 2 } }
output "merge_maps" { value = merge(var.tags, var.tags) }
output "merge_groups" { value = merge(var.groups, var.groups) }
output "merge_object" { value = merge(var.tags, { b = "c" }) }
output "concat_lists" { value = concat(var.names, var.names) }
output "concat_nested" { value = concat(var.lists, var.lists) }
output "concat_tuple" { value = concat(var.names, ["c"]) }
output "flatten" { value = flatten(var.lists) }
output "values_map" { value = values(var.tags) }
output "values_groups" { value = values(var.groups) }
output "values_object" { value = values({ a = "x", b = "y" }) }
output "lookup" { value = lookup(var.groups, "g", []) }
output "lookup_string" { value = lookup(var.tags, "env", "x") }
output "element_list" { value = element(var.lists, 0) }
output "element_map" { value = element(var.rows, 0) }
output "index_list" { value = var.lists[0] }
output "index_map" { value = var.groups["g"] }
output "index_rows" { value = var.rows[0] }
output "index_instance" { value = null_resource.c[0].triggers }
output "coalesce" { value = coalesce("", "x") }
output "coalesce_lists" { value = coalesce(var.names, []) }
output "splat_var" { value = var.rows[*].k }
output "splat_legacy" { value = var.rows.*.k }
output "splat_count" { value = null_resource.c[*].triggers.a }
output "splat_ids" { value = null_resource.c[*].id }
output "coalescelist" { value = coalescelist(var.names, []) }
output "coalescelist_empty_first" { value = coalescelist([], var.names) }
output "coalescelist_mixed" { value = coalescelist(var.names, ["c"]) }
# A string and a number or bool unify to a string, value included.
output "cond_number_string" { value = true ? 1 : "a" }
output "cond_string_number" { value = var.flag ? "a" : 1 }
output "cond_bool_string" { value = var.flag ? var.flag : "no" }
output "cond_number_var" { value = !var.flag ? var.tags["env"] : 2 }
