# A dynamic block without `iterator` binds its own name; nested blocks in
# its content become lists of objects, dynamic ones concatenated.
resource "aws_security_group" "web" {
  dynamic "ingress" {
    for_each = var.ports
    content {
      from_port = ingress.value
      to_port   = ingress.value
      rule {
        kind = "static"
      }
      dynamic "rule" {
        for_each = ingress.value.rules
        content {
          kind = rule.value
        }
      }
    }
  }
  ingress {
    from_port = 22
  }
}
