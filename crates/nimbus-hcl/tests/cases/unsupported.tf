terraform {
  required_version = ">= 1.6"
}

moved {
  from = a.b
  to   = a.c
}

import {
  to = aws_s3_bucket.b
  id = "b"
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
