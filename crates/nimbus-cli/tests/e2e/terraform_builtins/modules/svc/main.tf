variable "index" {
  type = number
}

resource "null_resource" "this" {
  triggers = {
    index = var.index
  }
}

output "id" {
  value = null_resource.this.id
}
