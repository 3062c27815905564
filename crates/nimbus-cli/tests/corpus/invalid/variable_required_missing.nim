;; Variables without a default need a value from outside.
(define-variables
  (region (type string))
  (account-id (type string) (description "The AWS account")))

(resource null-resource "a"
  (triggers (r (var region))))
