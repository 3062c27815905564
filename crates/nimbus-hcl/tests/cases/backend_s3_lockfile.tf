terraform {
  backend "s3" {
    bucket       = "acme-state"
    key          = "app/state"
    endpoint     = "https://s3.example.com"
    use_lockfile = true
    encrypt      = false
  }
}
