(define-variables
  (text (type string)))

(output "value"
  (value (upper (var text))))
