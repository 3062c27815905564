;; Malformed policy rules.
(define-policy p
  (deny)
  (deny 42 (when #t))
  (warn (when #t))
  (require-tags)
  (require-tags "owner" team)
  (require-aproval (when #t))
  (deny "x:Delete" (when))
  "not a rule")

(define-policy)
