variable "name" {
  type = string
}

provider "random" {}

provider "random" {
  alias = "b"
}

resource "random_id" "own" {
  byte_length = 4
  prefix      = var.name
}

resource "random_id" "aliased" {
  provider    = random.b
  byte_length = 4
}

module "deeper" {
  source = "../deeper"
}
