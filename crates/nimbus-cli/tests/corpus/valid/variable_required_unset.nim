;; Variables without a default and without a value: `validate` checks
;; with unknowns (as `terraform validate` does), so CI needs no secrets.
;; `plan` and `apply` still require the values.
(define-variables
  (region (type string))
  (replicas (type number) (validation (> replicas 0) "must be positive"))
  (account-id (type string) (description "The AWS account") (sensitive #t)))

(resource null-resource "a"
  (count (var replicas))
  (triggers (r (var region)) (account (var account-id))))
