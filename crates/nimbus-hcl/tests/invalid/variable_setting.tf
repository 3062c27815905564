# expect: 3:3 unknown variable setting `defualt`
variable "x" {
  defualt = 1
}
