# expect: 3:22 this configuration requires Terraform `>= 2.0`
terraform {
  required_version = ">= 2.0"
}
