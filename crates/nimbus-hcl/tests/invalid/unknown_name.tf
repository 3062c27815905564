# expect: 3:7 unknown name `foo`
locals {
  a = foo
}
