# expect: 2:1 a `resource` block takes 2 labels
resource "null_resource" {
}
