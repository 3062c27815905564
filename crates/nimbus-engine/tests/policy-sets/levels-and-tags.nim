;; `use-policies` settings: `(required-tags ...)` makes tags-required a
;; require-tags of those names; `(enforcement ...)` sets every rule's
;; level, `(rule NAME (enforcement ...))` one rule's (a disabled rule is
;; not checked). SNS topics need a KMS key; types outside the AWS provider
;; are not checked.
(provider aws (region "us-east-1"))
(use-policies aws-baseline
  (required-tags "owner" "cost-center")
  (enforcement soft-mandatory)
  (rule "s3-versioning" (enforcement advisory))
  (rule "s3-encryption" (enforcement disabled)))
;; ---- changes
{"changes": [
  {"address": "sns-topic.alerts", "type": "sns-topic",
   "after": {"name": "alerts", "kms-master-key-id": null, "tags": {"owner": "ops"}}},
  {"address": "sns-topic.audit", "type": "sns-topic",
   "after": {"name": "audit", "kms-master-key-id": "alias/aws/sns", "tags": {"owner": "ops", "cost-center": "42"}}},
  {"address": "s3-bucket.logs", "type": "s3-bucket",
   "after": {"bucket-name": "logs", "versioning": false, "encryption": null, "tags": {"owner": "ops", "cost-center": "<unknown>"}}},
  {"address": "terraform-data.x", "type": "terraform-data",
   "after": {"input": "anything"}}
]}
