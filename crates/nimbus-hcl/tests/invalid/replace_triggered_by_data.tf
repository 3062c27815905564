# expect: 4:29 `replace_triggered_by` takes references to managed resources
resource "terraform_data" "a" {
  lifecycle {
    replace_triggered_by = [data.local_file.f]
  }
}
