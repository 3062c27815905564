;; aws-baseline/s3-public-policy: a bucket policy that allows Principal "*"
;; (as a string or in a list of AWS principals, in a JSON string or a map,
;; one statement or several) fails; a Deny with "*" and named principals
;; pass; a document not known yet is undetermined.
(provider aws (region "us-east-1"))
(use-policies aws-baseline)
;; ---- changes
{"changes": [
  {"address": "s3-bucket-policy.json_text", "type": "s3-bucket-policy",
   "after": {"bucket": "a", "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::a/*\"}]}"}},
  {"address": "s3-bucket-policy.map_aws_list", "type": "s3-bucket-policy",
   "after": {"bucket": "b", "policy": {"Statement": {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:root", "*"]}, "Action": "s3:*"}}}},
  {"address": "s3-bucket-policy.deny_everyone", "type": "s3-bucket-policy",
   "after": {"bucket": "c", "policy": {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}},
  {"address": "s3-bucket-policy.named", "type": "s3-bucket-policy",
   "after": {"bucket": "d", "policy": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/reader"}, "Action": "s3:GetObject"}, {"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject"}]}}},
  {"address": "s3-bucket-policy.unknown", "type": "s3-bucket-policy",
   "after": {"bucket": "e", "policy": "<unknown>"}},
  {"address": "s3-bucket-policy.partly_unknown", "type": "s3-bucket-policy",
   "after": {"bucket": "f", "policy": {"Statement": [{"Effect": "Allow", "Principal": "<unknown>", "Action": "s3:GetObject"}]}}},
  {"address": "s3-bucket-policy.removed", "type": "s3-bucket-policy", "action": "delete",
   "after": {"bucket": "g", "policy": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}}}
]}
