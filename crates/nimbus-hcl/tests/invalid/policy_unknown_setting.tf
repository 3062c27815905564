# expect: 4:5 unknown setting `condition` in a `deny` rule
policy "p" {
  deny "*" {
    condition = true
  }
}
