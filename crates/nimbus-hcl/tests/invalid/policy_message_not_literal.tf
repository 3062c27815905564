# expect: 4:15 `message` must be a literal string
policy "p" {
  deny "*" {
    message = "${var.x}"
  }
}
