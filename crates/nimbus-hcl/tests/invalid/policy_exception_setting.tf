# expect: 4:5 unknown setting `why` in a `policy_exception`
resource "s3-bucket" "b" {
  policy_exception "p.deny" {
    why = "because"
  }
}
