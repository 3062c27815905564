# expect: 3:7 unknown function `lenght`
locals {
  n = lenght([1])
}
