;; Built-in rules go through the same overrides and exceptions as
;; `define-policy` rules, by their ids: an overridden soft-mandatory rule
;; no longer blocks, a resource's `(policy-exception ...)` holds until its
;; date. Replacing a bucket checks the delete and the create.
(provider aws (region "us-east-1"))
(use-policies aws-baseline)
(resource s3-bucket "scratch"
  (bucket-name "scratch")
  (encryption "AES256")
  (tags (owner "ci"))
  (policy-exception "aws-baseline/s3-encryption" (reason "not used")))
(resource s3-bucket "legacy"
  (bucket-name "legacy")
  (policy-exception "aws-baseline/s3-encryption"
    (reason "encrypted by the old account's default; see OPS-412")
    (expires "2999-12-31")))
;; ---- changes
{"overrides": [["aws-baseline/s3-versioning", "scratch data, rebuilt nightly"]],
 "changes": [
  {"address": "s3-bucket.scratch", "type": "s3-bucket", "action": "replace",
   "before": {"bucket-name": "scratch-old", "versioning": false, "encryption": "AES256", "tags": {"owner": "ci"}},
   "after": {"bucket-name": "scratch", "versioning": false, "encryption": "AES256", "tags": {"owner": "ci"}}},
  {"address": "s3-bucket.legacy", "type": "s3-bucket", "action": "update",
   "before": {"bucket-name": "legacy", "versioning": true, "encryption": null, "tags": {"owner": "old"}},
   "after": {"bucket-name": "legacy", "versioning": true, "encryption": null, "tags": {"owner": "new"}}}
]}
