;; random-string's result is not secret and shown (redacted here as
;; random); changing its length replaces it.
;; ---- apply
(resource random-string "token"
  (length 12)
  (special #f))

(output "token"
  (value (ref random-string "token" "result")))
;; ---- apply
(resource random-string "token"
  (length 20)
  (special #f))

(output "token"
  (value (ref random-string "token" "result")))
