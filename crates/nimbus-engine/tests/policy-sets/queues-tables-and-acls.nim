;; The baseline's encryption rules for SQS queues (SQS's own keys or a
;; KMS key pass; a queue with SSE-SQS turned off and no key fails) and
;; DynamoDB tables (a KMS key passes; DynamoDB's default key fails, soft-
;; mandatory), and its rule on public bucket ACLs. A value unknown at
;; plan leaves the rule undetermined.
(provider aws (region "us-east-1"))
(use-policies aws-baseline (rule "tags-required" (enforcement disabled)))
;; ---- changes
{"changes": [
  {"address": "sqs-queue.default", "type": "sqs-queue",
   "after": {"name": "default", "kms-master-key-id": null, "sqs-managed-sse": true}},
  {"address": "sqs-queue.kms", "type": "sqs-queue",
   "after": {"name": "kms", "kms-master-key-id": "alias/aws/sqs", "sqs-managed-sse": false}},
  {"address": "sqs-queue.plain", "type": "sqs-queue",
   "after": {"name": "plain", "kms-master-key-id": null, "sqs-managed-sse": false}},
  {"address": "sqs-queue.later", "type": "sqs-queue",
   "after": {"name": "later", "kms-master-key-id": null, "sqs-managed-sse": "<unknown>"}},
  {"address": "dynamodb-table.cmk", "type": "dynamodb-table",
   "after": {"name": "cmk", "server-side-encryption": true, "kms-key-arn": "<unknown>"}},
  {"address": "dynamodb-table.owned", "type": "dynamodb-table",
   "after": {"name": "owned", "server-side-encryption": false, "kms-key-arn": null}},
  {"address": "s3-bucket.site", "type": "s3-bucket",
   "after": {"bucket-name": "site", "versioning": true, "encryption": "AES256", "acl": "public-read"}},
  {"address": "s3-bucket.shared", "type": "s3-bucket",
   "after": {"bucket-name": "shared", "versioning": true, "encryption": "AES256", "acl": "authenticated-read"}},
  {"address": "s3-bucket.private", "type": "s3-bucket",
   "after": {"bucket-name": "private", "versioning": true, "encryption": "AES256", "acl": "private"}},
  {"address": "sqs-queue.gone", "type": "sqs-queue", "action": "delete",
   "after": {"name": "gone", "kms-master-key-id": null, "sqs-managed-sse": false}}
]}
