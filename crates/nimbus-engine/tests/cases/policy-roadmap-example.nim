;; The roadmap's example parses as written; its deny names an AWS action,
;; so built-in changes pass it. `cost-exceeds` reads the plan's monthly
;; estimate, and built-in types cost nothing: it is false. The same rule on the built-in
;; action name, with a tag condition on a taggable stand-in (the tags of
;; the object: a built-in type has no `tags`, so `tag-equals` is false).
;; ---- apply
(define-policy production-guardrails
  (deny "s3:DeleteBucket"
    (when (tag-equals "Environment" "Production")))
  (require-approval
    (when (cost-exceeds 1000))))
(resource terraform-data "a" (input 1))
;; ---- destroy
(define-policy production-guardrails
  (deny "builtin:Delete"
    (when (tag-equals "Environment" "Production")))
  (require-approval
    (when (cost-exceeds 1000))))
(resource terraform-data "a" (input 1))
