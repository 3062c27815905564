;; Outputs: descriptions, sensitive values, any expression.
(resource random-password "root"
  (length 32))

(resource random-string "suffix"
  (length 6)
  (upper #f)
  (special #f))

(output "root-password"
  (description "The root password")
  (sensitive #t)
  (value (ref random-password "root" "result")))

(output "suffix"
  (value (ref random-string "suffix" "result")))

(output "literal"
  (value (list 1 2 3)))

(output "sensitive-anyway"
  (sensitive #t)
  (value "not secret, but hidden"))

(output "password-length"
  (description "A length derived from a secret is still a secret")
  (sensitive #t)
  (value (length (ref random-password "root" "result"))))
