# The roadmap's guardrails, as a Terraform user writes them.
policy "production-guardrails" {
  deny "s3:DeleteBucket" {
    when    = tag_equals("Environment", "Production")
    message = "production buckets are kept"
  }
  warn "lambda:Update" {}
  require_tags {
    tags        = ["owner", "cost-center"]
    enforcement = "advisory"
  }
  require_approval {
    when = cost_exceeds(1000)
  }
}

policy "shapes" {
  enforcement = "soft-mandatory"
  deny "*" {
    when = action == "delete" && resource_type == "s3-bucket" && !has_tag("keep")
  }
  deny "builtin:" {
    when = action_is("create", "replace") && attribute("input", "size") == var.forbidden_size
  }
  warn "s3:" {
    when = length(keys(tags)) > 3 || try(after.versioning, false) == false || provider_action == "s3:PutBucketPolicy"
  }
  warn "*" {
    when = resource_type("sqs-queue") && [for k, v in tags : k if v == ""] != []
  }
}

resource "s3-bucket" "logs" {
  bucket = "logs"
  policy_exception "production-guardrails.deny" {
    reason  = "logs are rotated by hand"
    expires = "2027-06-30"
  }
}
