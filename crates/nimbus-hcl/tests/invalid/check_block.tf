# expect: 2:1 a `check` block is not supported by Nimbus yet
check "health" {
  assert {
    condition     = true
    error_message = "x"
  }
}
