# expect: 3:7 `tag_equals` reads the change a policy rule checks
locals {
  x = tag_equals("a", "b")
}
