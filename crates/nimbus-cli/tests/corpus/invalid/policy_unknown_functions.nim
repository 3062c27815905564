;; Policy conditions may call only functions that exist: nothing evaluates
;; policies yet, so a misspelt one would otherwise pass unnoticed.
(define-policy guard
  (deny "s3:DeleteBucket" (when (= environment "prod")))
  (warn "lambda:Update" (when (is-production environment)))
  (require-approval (when (> (lenght (list 1 2)) 1)))
  (require-approval (when (let ((c (monthly-cost))) (> c 100)))))

(resource null-resource "guarded")
