terraform {
  required_version = ">= 1.2, < 2.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
    }
    acme = {
      source  = "example/acme"
      version = "~> 5.0"
    }
    random = {
      source  = "registry.terraform.io/hashicorp/random"
      version = "~> 3.5"
    }
  }
  backend "s3" {
    bucket = "state"
  }
}

variable "environment" {
  type        = string
  default     = "dev"
  description = "Where to deploy"
  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "must be dev or prod"
  }
}

variable "tags" {
  type      = map(string)
  default   = {}
  sensitive = true
  nullable  = false
}

variable "servers" {
  type = list(object({ name = string, size = number }))
}

locals {
  prefix  = "app-${var.environment}"
  count   = length(var.servers) * 2 + 1
  enabled = var.environment == "prod" && !false || 1 >= 2
  first   = var.servers[0].name
  names   = [for s in var.servers : upper(s.name) if s.size > 1]
  by_name = { for i, s in var.servers : s.name => s.size }
  grouped = { for s in var.servers : s.size => s.name... }
  mixed   = { (local.prefix) = 1, "b" = -2.5, c = null }
  cidr    = cidrsubnet("10.0.0.0/16", 8, 2)
  largest = max(0, var.servers[*].size...)
  safe    = try(var.servers[9].name, "none")
  ok      = can(var.tags["x"])
  where   = "${path.module}/files in ${terraform.workspace}"
  sizes   = var.servers[*].size
  legacy  = var.servers.*.name[0]
  choice  = var.environment == "prod" ? 3 : 1
  big     = 123456789012345678901234
}

output "prefix" {
  value       = local.prefix
  description = "The prefix"
  sensitive   = true
  depends_on  = [null_resource.a]
}

variable "service" {
  type = object({
    name     = string
    port     = optional(number, 8080)
    tags     = optional(map(string), {})
    replicas = optional(number)
    health = optional(object({
      path     = optional(string, "/healthz")
      interval = optional(number, 10)
    }), {})
  })
}
