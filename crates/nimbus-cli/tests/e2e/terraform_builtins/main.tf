# Every type of hashicorp/null, random, local and time, and terraform_data,
# served by Nimbus's built-in provider: no plugin, no mirror.
terraform {
  required_providers {
    null = {
      source  = "hashicorp/null"
      version = "~> 3.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.1, < 4.0"
    }
    local = {
      source = "hashicorp/local"
    }
    time = {
      source  = "hashicorp/time"
      version = "~> 0.9"
    }
  }
}

variable "services" {
  type    = set(string)
  default = ["api", "web"]
}

resource "null_resource" "service" {
  for_each = var.services
  triggers = {
    name = each.key
  }
}

data "null_data_source" "names" {
  inputs = {
    first = "api"
  }
}

resource "terraform_data" "config" {
  input            = { region = "eu-west-1", replicas = 2 }
  triggers_replace = [null_resource.service["api"].id]
}

resource "random_id" "suffix" {
  byte_length = 4
  prefix      = "app-"
}

resource "random_string" "tag" {
  length  = 10
  special = false
}

resource "random_password" "db" {
  length           = 20
  override_special = "-_"
  min_numeric      = 2
}

resource "random_integer" "port" {
  min = 8000
  max = 8999
}

resource "random_pet" "name" {
  length    = 3
  separator = "_"
}

resource "random_shuffle" "zones" {
  input        = ["a", "b", "c"]
  result_count = 2
}

resource "random_uuid" "run" {}

resource "local_file" "manifest" {
  filename        = "out/manifest.txt"
  content         = "${random_pet.name.id} ${random_integer.port.result}"
  file_permission = "0644"
}

resource "local_sensitive_file" "secret" {
  filename = "out/secret.txt"
  content  = random_password.db.result
}

data "local_file" "manifest" {
  filename = local_file.manifest.filename
}

resource "time_static" "created" {}

resource "time_offset" "expiry" {
  offset_days = 30
}

resource "time_rotating" "key" {
  rotation_days = 90
}

resource "time_sleep" "settle" {
  create_duration  = "200ms"
  destroy_duration = "100ms"
  depends_on       = [local_file.manifest]
}

module "svc" {
  source = "./modules/svc"
  count  = 2
  index  = count.index
}

output "manifest" {
  value = data.local_file.manifest.content
}

output "null_echo" {
  value = data.null_data_source.names.outputs["first"]
}

output "password" {
  value     = random_password.db.result
  sensitive = true
}

output "module_ids" {
  value = [module.svc[0].id, module.svc[1].id]
}
