# `module.NAME` alone is the object of the instance's outputs (a list or
# map of them with `count`/`for_each`), which later steps may index.
module "node" {
  source = "./node"
  count  = 2
}

module "svc" {
  source   = "./node"
  for_each = toset(["a", "b"])
}

module "one" {
  source = "./node"
}

output "all" {
  value = [module.node, module.svc, module.one]
}

output "instance" {
  value = module.node[1]
}

output "keyed" {
  value = module.svc["a"].label
}

output "splat" {
  value = module.node[*]
}

output "labels" {
  value = { for k, m in module.svc : k => m.label }
}

output "first" {
  value = module.one.label
}
