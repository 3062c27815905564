;; An output that holds a secret must say `(sensitive #t)`: planning is
;; refused, and the secret is not in the message.
;; ---- plan
(define-variables
  (token (type string) (default "Tok3nValue") (sensitive #t)))

(output "token"
  (value (format "Bearer ~a" (var token))))
