# In the Terraform language, a resource's `policy_exception` block excepts
# it from a rule until its date (an expired one fails, naming the date);
# an overridden soft-mandatory rule no longer blocks.
policy "freeze" {
  enforcement = "soft-mandatory"
  deny "builtin:Update" {}
}

policy "guard" {
  deny "builtin:Delete" {
    when = attribute("input", "Environment") == "Production"
  }
}

resource "terraform-data" "kept" {
  input = { Environment = "Production" }
  policy_exception "guard.deny" {
    reason  = "moved to the new account; see OPS-7"
    expires = "2999-12-31"
  }
}

resource "terraform-data" "stale" {
  input = { Environment = "Production" }
  policy_exception "guard.deny" {
    reason  = "a migration long done"
    expires = "2020-01-31"
  }
}
# ---- changes
{"overrides": [["freeze.deny", "the release window is open"]],
 "changes": [
  {"address": "terraform-data.kept", "type": "terraform-data", "action": "delete",
   "after": {"input": {"Environment": "Production"}}},
  {"address": "terraform-data.stale", "type": "terraform-data", "action": "delete",
   "after": {"input": {"Environment": "Production"}}},
  {"address": "terraform-data.config", "type": "terraform-data", "action": "update",
   "before": {"input": 1}, "after": {"input": 2}}
]}
