;; define-policy: every rule shape.
(define-policy production-guard-rails
  (deny "builtin:Delete" (when (= resource-type "random-id")))
  (deny "local-file:Replace")
  (warn "null-resource:Create" (when #t))
  (require-approval (when (> cost 100)))
  (require-tags "owner" "cost-center"))

(define-policy minimal)

(resource null-resource "guarded")
