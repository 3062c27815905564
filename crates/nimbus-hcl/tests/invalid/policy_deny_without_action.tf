# expect: 3:3 a `deny` rule takes 1 label, the provider action
policy "p" {
  deny {
    when = true
  }
}
