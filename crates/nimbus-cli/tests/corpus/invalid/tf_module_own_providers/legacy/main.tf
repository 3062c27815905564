provider "null" {}

provider "null" {
  alias = "b"
}

resource "null_resource" "own" {}
