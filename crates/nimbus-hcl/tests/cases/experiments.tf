# Terraform 1.0's `optional()` experiment concluded as the `optional()`
# Nimbus reads: a warning. Any other experiment is not read, and an
# experiment is a keyword, not a string (as Terraform reads it).
terraform {
  experiments = [module_variable_optional_attrs, "module_variable_optional_attrs", config_driven_move]
}

variable "service" {
  type = object({
    port = number
    tags = optional(map(string))
  })
}
