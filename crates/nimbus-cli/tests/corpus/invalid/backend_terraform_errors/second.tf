terraform {
  backend "s3" {
    bucket     = "acme-state"
    key        = "state"
    secret_key = "wJalrXUtnFEMI"
    regoin     = "us-east-1"
  }
}
