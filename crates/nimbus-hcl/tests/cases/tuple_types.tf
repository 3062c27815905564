# `tuple([...])` type constraints, alone and nested.
variable "pair" {
  type    = tuple([string, number])
  default = ["a", 1]
}

variable "nested" {
  type = list(tuple([bool, object({ name = string }), tuple([])]))
}
