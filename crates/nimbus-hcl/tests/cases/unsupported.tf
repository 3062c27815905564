terraform {
  required_version = ">= 1.6"
}

resource "null_resource" "x" {
  provisioner "local-exec" {
    command = "echo hi"
  }
}

module "remote" {
  source  = "hashicorp/consul/aws"
  version = "0.1.0"
}

locals {
  t = templatefile("x.tpl", {})
  u = nosuchfn(1)
  x = try([1]...)
}
