# expect: 3:3 `provisioner` blocks are not supported
resource "null_resource" "a" {
  provisioner "local-exec" {
    command = "true"
  }
}
