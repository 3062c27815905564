# expect: 4:5 `password` in a backend block: credentials are never part of the configuration
terraform {
  backend "pg" {
    password = "hunter2"
  }
}
