resource "random_id" "inherited" {
  byte_length = 4
}
