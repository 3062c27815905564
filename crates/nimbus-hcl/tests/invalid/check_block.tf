# expect: 3:3 a scoped `data` block in a `check` is not supported by Nimbus yet
check "health" {
  data "http" "site" {
    url = "https://example.com"
  }
  assert {
    condition     = true
    error_message = "x"
  }
}
