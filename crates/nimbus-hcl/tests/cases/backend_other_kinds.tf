# Kinds Nimbus does not keep state in: a warning each, state stays local.
terraform {
  backend "gcs" {
    bucket = "acme"
  }
}

terraform {
  cloud {
    organization = "acme"
  }
}
