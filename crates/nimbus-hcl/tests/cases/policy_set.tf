# A built-in rule set, opted into from HCL: the same form as the .nim
# `(use-policies ...)`, with its settings.
policy_set "aws-baseline" {
  required_tags = ["owner", "cost-center"]
  enforcement   = "soft-mandatory"

  rule "s3-versioning" {
    enforcement = "advisory"
  }
  rule "sns-encryption" {
    enforcement = "disabled"
  }
}
