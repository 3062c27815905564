# Malformed meta-arguments of the Terraform language: one located error
# each, no error about the empty form left behind.
variable "x" {
  default = "a"
}

variable "none" {
  type = tuple()
}

variable "bare" {
  type = tuple(string)
}

module "not_a_map" {
  source    = "./m"
  providers = "x"
}

module "number_keys" {
  source    = "./m"
  providers = { 1 = 2 }
}

module "variable" {
  source     = "./m"
  depends_on = [var.x]
}

module "quoted" {
  source     = "./m"
  depends_on = ["module.x"]
}

resource "terraform_data" "a" {
  depends_on = [var.x]
}
