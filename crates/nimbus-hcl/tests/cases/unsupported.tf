terraform {
  required_version = ">= 1.6"
}

resource "null_resource" "x" {
  provisioner "local-exec" {
    command = "echo hi"
  }
  lifecycle {
    replace_triggered_by = [null_resource.y]
    precondition {
      condition     = true
      error_message = "x"
    }
  }
}

module "remote" {
  source  = "hashicorp/consul/aws"
  version = "0.1.0"
}

locals {
  t = templatefile("x.tpl", {})
  u = nosuchfn(1)
  w = self.id
  x = try([1]...)
}
