;; An exception from a built-in rule the configuration does not use is an
;; error of the check, naming the rules there are.
(provider aws (region "us-east-1"))
(use-policies aws-baseline (rule "sns-encryption" (enforcement disabled)))
(resource s3-bucket "b"
  (bucket-name "b")
  (policy-exception "aws-baseline/s3-acl" (reason "no such rule")))
;; ---- changes
{"changes": [
  {"address": "s3-bucket.b", "type": "s3-bucket",
   "after": {"bucket-name": "b", "versioning": true, "encryption": "AES256", "tags": {"owner": "x"}}}
]}
