# expect: 3:13 cannot parse this Terraform file
resource "a" "b" {
  name = 1 +
}
