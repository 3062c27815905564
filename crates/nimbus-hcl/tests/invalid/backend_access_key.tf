# expect: 5:5 `access_key` in a backend block: credentials are never part of the configuration
terraform {
  backend "s3" {
    bucket     = "b"
    access_key = "AKIAIOSFODNN7EXAMPLE"
    key        = "k"
  }
}
