# expect: 4:19 `required_tags` must be a list of tag names
# A built-in rule set's required tags are a list, even of one.
policy_set "aws-baseline" {
  required_tags = "owner"
}
