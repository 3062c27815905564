# expect: 3:3 a `require_tags` rule needs `tags = ["NAME", ...]`
policy "p" {
  require_tags { tags = [] }
}
