# The project of the parity test (terraform_parity.rs): Terraform 1.0.3
# applies it once; Nimbus adopts its state and plans no change, gives the
# same outputs, hands the state back, reads the same project converted to
# .nim, and applies it from scratch to the same addresses and outputs.
terraform {
  required_version = ">= 1.0"
  # `optional()` object attributes are an experiment in Terraform 1.0.
  experiments = [module_variable_optional_attrs]

  required_providers {
    null = {
      source  = "hashicorp/null"
      version = ">= 2.1"
    }
  }
}

variable "env" {
  type        = string
  default     = "staging"
  description = "The environment."

  validation {
    condition     = contains(["dev", "staging", "prod"], var.env)
    error_message = "The env must be dev, staging or prod."
  }
}

variable "replicas" {
  type    = number
  default = 3

  validation {
    condition     = var.replicas >= 1 && var.replicas <= 5 && floor(var.replicas) == var.replicas
    error_message = "Between 1 and 5 replicas."
  }
}

variable "zones" {
  type    = set(string)
  default = ["b", "a", "c"]
}

variable "base_cidr" {
  type    = string
  default = "10.20.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.base_cidr))
    error_message = "The base_cidr must be an IPv4 CIDR block."
  }
}

variable "services" {
  type = map(object({
    port   = number
    public = bool
    tags   = optional(map(string))
  }))
  default = {
    api = {
      port   = 8080
      public = true
      tags   = { tier = "front" }
    }
    worker = {
      port   = 9090
      public = false
    }
  }
}

locals {
  prefix      = "${var.env}-app"
  common_tags = { env = var.env, managed_by = "iac" }
  zone_list   = sort(tolist(var.zones))
  subnets     = { for i, z in local.zone_list : z => cidrsubnet(var.base_cidr, 8, i) }
  public      = [for name, s in var.services : name if s.public]
  ports       = { for name, s in var.services : name => s.port }
  big         = var.env == "prod"
  labels = merge(local.common_tags, {
    size  = local.big ? "large" : "small"
    zones = join(",", local.zone_list)
  })
}

resource "null_resource" "replica" {
  count = var.replicas
  triggers = {
    name = format("%s-%02d", local.prefix, count.index + 1)
    cidr = cidrsubnet(var.base_cidr, 8, count.index + 10)
    zone = element(local.zone_list, count.index)
  }
}

resource "null_resource" "service" {
  for_each = var.services
  triggers = merge(local.common_tags, {
    name   = "${local.prefix}-${each.key}"
    port   = each.value.port
    public = each.value.public ? "yes" : "no"
    tags   = jsonencode(each.value.tags == null ? {} : each.value.tags)
  })
}

resource "null_resource" "zone" {
  for_each = var.zones
  triggers = {
    zone    = each.value
    subnet  = local.subnets[each.key]
    replica = null_resource.replica[0].id
  }
}

data "null_data_source" "info" {
  inputs = {
    prefix = local.prefix
    count  = length(null_resource.replica)
  }
}

# hashicorp/null's local name is `null`, which HCL also reads as a keyword.
provider "null" {
  alias = "alt"
}

variable "token" {
  type      = string
  default   = "s3cret"
  sensitive = true
}

resource "null_resource" "aliased" {
  provider   = null.alt
  depends_on = [null_resource.zone]
  triggers   = { token = var.token }

  lifecycle {
    ignore_changes        = [triggers]
    create_before_destroy = true
  }
}

module "node" {
  source = "./modules/node"
  count  = 2
  name   = "node-${count.index}"
  index  = count.index
  labels = local.labels
}

module "svc" {
  source   = "./modules/node"
  for_each = local.ports
  name     = each.key
  index    = each.value
  labels   = { port = tostring(each.value) }
}

module "none" {
  source = "./modules/node"
  count  = 0
  name   = "none"
  index  = 0
}

module "legacy" {
  source = "./modules/legacy"
  name   = local.prefix
}

output "replica_names" {
  value = null_resource.replica[*].triggers.name
}

output "replica_ids" {
  value = null_resource.replica[*].id
}

output "replica_cidrs" {
  value = [for r in null_resource.replica : r.triggers.cidr]
}

output "service_ports" {
  value = { for k, s in null_resource.service : k => tonumber(s.triggers.port) }
}

output "subnets" {
  value = local.subnets
}

output "public_services" {
  value = local.public
}

output "zone_ids" {
  value = { for z, r in null_resource.zone : z => r.id }
}

output "summary" {
  value = "${length(null_resource.replica)} replicas of ${local.prefix} in ${join(", ", local.zone_list)}"
}

output "zones_template" {
  value = "%{for z in local.zone_list}[${z}]%{endfor}%{if local.big} big%{else} small%{endif}"
}

output "config_json" {
  value = jsonencode({ env = var.env, ports = local.ports, labels = local.labels })
}

output "api_port" {
  value = lookup(local.ports, "api", 0)
}

output "missing_port" {
  value = lookup(local.ports, "db", -1)
}

output "size" {
  value = local.big ? "large" : "small"
}

output "node_labels" {
  value = module.node[*].label
}

output "node_ids" {
  value = module.node[*].id
}

output "nodes_meta" {
  value = module.node[*].meta
}

output "first_node" {
  value = module.node[0]
}

output "services" {
  value = module.svc
}

output "svc" {
  value = { for k, m in module.svc : k => m.label }
}

output "info" {
  value = data.null_data_source.info.outputs
}

output "heredoc" {
  value = <<-EOT
    env: ${var.env}
    replicas: ${var.replicas}
  EOT
}

output "secret" {
  value     = sha256(local.prefix)
  sensitive = true
}

output "tags_or_default" {
  value = { for k, s in var.services : k => s.tags == null ? "none" : join(",", values(s.tags)) }
}

output "none" {
  value = [for n in module.none : n.id]
}

output "aliased" {
  value      = length(null_resource.aliased.id) > 0
  depends_on = [null_resource.service]
}

output "legacy_ids" {
  value = length(module.legacy.ids)
}
