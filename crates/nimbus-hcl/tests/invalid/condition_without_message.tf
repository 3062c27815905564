# expect: 4:5 a `postcondition` block needs `condition` and `error_message`
resource "terraform_data" "a" {
  lifecycle {
    postcondition {
      condition = self.output != ""
    }
  }
}
