;; aws-baseline on S3 buckets at its default levels: encryption and tags
;; are mandatory, versioning soft-mandatory. Encryption left to S3 is
;; unknown at plan: the rule is undetermined, not passed or failed; so are
;; tags not known yet. A deletion is not checked against these rules.
(provider aws (region "us-east-1"))
(use-policies aws-baseline)
(resource s3-bucket "good" (bucket-name "good") (versioning #t) (encryption "AES256") (tags (owner "data")))
(resource s3-bucket "plain" (bucket-name "plain"))
(resource s3-bucket "later" (bucket-name "later") (versioning #t) (encryption "aws:kms"))
;; ---- changes
{"changes": [
  {"address": "s3-bucket.good", "type": "s3-bucket",
   "after": {"bucket-name": "good", "versioning": true, "encryption": "AES256", "tags": {"owner": "data"}}},
  {"address": "s3-bucket.plain", "type": "s3-bucket",
   "after": {"bucket-name": "plain", "versioning": false, "encryption": "<unknown>", "tags": null}},
  {"address": "s3-bucket.later", "type": "s3-bucket", "action": "update",
   "before": {"bucket-name": "later", "versioning": true, "encryption": null, "tags": {"owner": "x"}},
   "after": {"bucket-name": "later", "versioning": true, "encryption": null, "tags": "<unknown>"}},
  {"address": "s3-bucket.gone", "type": "s3-bucket", "action": "delete",
   "after": {"bucket-name": "gone", "versioning": false, "encryption": null, "tags": null}}
]}
