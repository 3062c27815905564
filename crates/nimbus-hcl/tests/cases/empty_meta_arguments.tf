# `depends_on = []` and `providers = {}` are valid Terraform that says
# nothing: no form, no error.
resource "terraform_data" "a" {
  input      = 1
  depends_on = []
}

module "m" {
  source     = "./m"
  depends_on = []
  providers  = {}
}

output "o" {
  value      = 1
  depends_on = []
}
