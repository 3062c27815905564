# expect: 6:3 unexpected block `resource` in a `check`
check "health" {
  data "http" "site" {
    url = "https://example.com"
  }
  resource "terraform_data" "x" {
  }
  assert {
    condition     = true
    error_message = "x"
  }
}
