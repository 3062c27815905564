provider "aws" {
  region = "eu-west-1"
}

provider "aws" {
  alias  = "west"
  region = "us-west-2"
  assume_role {
    role_arn = "arn:aws:iam::123456789012:role/x"
  }
}

resource "aws_s3_bucket" "b" {
  bucket   = "logs-${count.index}"
  count    = 2
  provider = aws.west
  tags = {
    Name = "logs"
  }
  lifecycle {
    create_before_destroy = true
    prevent_destroy       = false
    ignore_changes        = [tags]
  }
  depends_on = [data.aws_caller_identity.me, aws_s3_bucket.c]
}

resource "aws_s3_bucket" "c" {
  for_each = toset(["a", "b"])
  bucket   = "${each.key}-${each.value}"
  policy   = aws_s3_bucket.b[0].arn
  other    = aws_s3_bucket.b[*].tags.Name
  all      = aws_s3_bucket.b.*.id
  by_key   = aws_s3_bucket.c["a"].bucket
  dynamic_index = aws_s3_bucket.b[count.index].tags[local.key]
}

data "aws_caller_identity" "me" {}

resource "aws_security_group" "web" {
  name = "web"
  ingress {
    from_port = 80
    to_port   = 80
    format    = "tcp"
  }
  dynamic "egress" {
    for_each = var.rules
    iterator = rule
    content {
      from_port = rule.value.port
      note      = "rule ${rule.key}"
    }
  }
}

module "network" {
  source = "./modules/network"
  cidr   = "10.0.0.0/16"
  count  = 2
}

output "vpc" {
  value = module.network.vpc_id
}

output "account" {
  value = data.aws_caller_identity.me.account_id
}

# Outputs of the module.
output "copy" {
  // the value, copied
  value = module.network.vpc_id # trailing

  /* a block
     comment */
  sensitive = true
}

# hashicorp/null's local name is `null`, which HCL reads as a keyword.
provider "null" {
  alias = "alt"
}

resource "null_resource" "aliased" {
  provider = null.alt
}

resource "null_resource" "default_null" {
  provider = null
}
