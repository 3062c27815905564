;; for-each over a list of strings: each-key and each-value are the element.
(locals
  (users (list "alice" "bob" "carol")))

(resource random-string "token"
  (for-each (local users))
  (length 16)
  (special #f)
  (keepers (user each-key) (same (each-value))))

(output "alice-token"
  (value (ref random-string "token" "alice" "result")))
