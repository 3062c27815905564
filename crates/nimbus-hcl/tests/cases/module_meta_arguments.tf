# A module call's `depends_on` and `providers`, and a module's
# `configuration_aliases` (a declaration: checked, nothing to lower).
terraform {
  required_providers {
    aws = {
      source                = "hashicorp/aws"
      configuration_aliases = [aws.east]
    }
  }
}

resource "aws_s3_bucket" "logs" {
  bucket = "logs"
}

data "aws_caller_identity" "me" {}

module "network" {
  source = "./network"
}

resource "aws_s3_bucket" "after_network" {
  bucket     = "after"
  depends_on = [module.network]
}

module "site" {
  source     = "./site"
  depends_on = [aws_s3_bucket.logs, data.aws_caller_identity.me, module.network]
  providers = {
    aws      = aws.west
    aws.east = aws
    null     = null
  }
  name = "site"
}
