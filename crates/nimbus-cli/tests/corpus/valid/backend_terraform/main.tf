# A Terraform backend becomes the configuration's backend.
terraform {
  backend "pg" {
    schema_name = "nimbus_state"
  }
}
