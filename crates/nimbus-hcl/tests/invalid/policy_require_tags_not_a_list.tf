# expect: 4:12 `tags` must be a list of tag names
policy "p" {
  require_tags {
    tags = "owner"
  }
}
