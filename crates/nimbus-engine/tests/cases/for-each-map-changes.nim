;; for-each over a map: a new key is created, a removed key deleted, a key
;; whose value changed is updated, the others untouched.
;; ---- apply
(resource terraform-data "team"
  (for-each (map (platform "alice") (data "bob") (web "carol")))
  (input (format "~a leads ~a" each-value each-key)))

(output "leads"
  (value (ref terraform-data "team" * "output")))
;; ---- apply
(resource terraform-data "team"
  (for-each (map (platform "alice") (data "dave") (mobile "erin")))
  (input (format "~a leads ~a" each-value each-key)))

(output "leads"
  (value (ref terraform-data "team" * "output")))
