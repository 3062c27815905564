;; An advisory rule (a `warn`, or any rule with `(enforcement advisory)`)
;; is a warning and the apply goes ahead; a disabled rule is not checked.
;; ---- apply
(define-policy guard
  (warn "builtin:Create" (when (not (has-tag "owner"))))
  (deny "builtin:" (enforcement advisory) (when (action-is "create")))
  (deny "*" (enforcement disabled)))
(resource terraform-data "a" (input 1))
;; ---- plan
(define-policy guard
  (enforcement disabled)
  (deny "*"))
(resource terraform-data "a" (input 2))
