# `policy` blocks, the Terraform language's form of `define-policy`: every
# rule form, a policy's level and a rule's own, conditions that read the
# change (`action`, `resource_type`, `after`, ...) and call the predicates
# (`tag_equals(...)`, ...), and a value unknown at plan (undetermined).
policy "production-guardrails" {
  deny "s3:DeleteBucket" {
    when    = tag_equals("Environment", "Production")
    message = "production buckets are kept; remove the tag first"
  }
  require_approval {
    when = cost_exceeds(1000)
  }
}

policy "shapes" {
  enforcement = "soft-mandatory"
  deny "*" {
    when = action == "delete" && resource_type == "terraform-data" && !has_tag("keep")
  }
  deny "builtin:" {
    when        = action_is("create", "replace") && attribute("input", "size") == "huge"
    enforcement = "mandatory"
  }
  warn "s3:" {
    when = try(after.versioning, false) == false
  }
  require_tags {
    tags        = ["owner"]
    enforcement = "advisory"
  }
}

resource "s3-bucket" "prod" {
  bucket-name = "prod"
}
resource "terraform-data" "big" {
  input = { size = "huge" }
}
# ---- changes
{"changes": [
  {"address": "s3-bucket.prod", "type": "s3-bucket", "action": "delete",
   "after": {"bucket-name": "prod", "versioning": true, "tags": {"Environment": "Production", "owner": "ops"}}},
  {"address": "s3-bucket.dev", "type": "s3-bucket",
   "after": {"bucket-name": "dev", "versioning": false, "tags": {"Environment": "Dev"}}},
  {"address": "terraform-data.big", "type": "terraform-data",
   "after": {"input": {"size": "huge"}}},
  {"address": "terraform-data.later", "type": "terraform-data",
   "after": {"input": {"size": "<unknown>"}}},
  {"address": "terraform-data.old", "type": "terraform-data", "action": "delete",
   "after": {"input": {"size": "small"}}}
]}
