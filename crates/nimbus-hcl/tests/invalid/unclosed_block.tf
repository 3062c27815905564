# expect: 3:16 cannot parse this Terraform file
variable "x" {
  type = string
