;; Malformed outputs.
(output "no-value"
  (description "forgot the value"))

(output "typo"
  (valeu 1))

(output "extra"
  (value 1 2))

(output "bad-sensitive"
  (value 1)
  (sensitive "true"))

(output)
