# expect: 3:7 unknown name `action`
locals {
  x = action
}
