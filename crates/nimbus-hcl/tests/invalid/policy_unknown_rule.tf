# expect: 3:3 unknown policy rule `deny_all`
policy "p" {
  deny_all "*" {}
}
