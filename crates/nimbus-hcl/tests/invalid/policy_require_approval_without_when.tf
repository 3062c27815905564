# expect: 3:3 a `require_approval` rule needs `when = CONDITION`
policy "p" {
  require_approval {}
}
