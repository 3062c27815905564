; Macros writing resources and expressions.
(define-variables (names (default (list "a" "b"))))

(define-syntax bucket-pair
  (syntax-rules (logs)
    ((_ name (logs log-name) (tag value) ...)
     (begin
       (resource null-resource name (triggers (map (tag value) ...)))
       (resource null-resource log-name (triggers (map (of name))))))))

(define-syntax my-or
  (syntax-rules ()
    ((_) #f)
    ((_ e) e)
    ((_ e r ...) (let ((t e)) (if t t (my-or r ...))))))

(define-syntax table
  (syntax-rules ()
    ((_ (row cell ...) ...) (list (list row (list cell ...)) ...))))

(bucket-pair "web" (logs "web-logs") (team "a") (env "b"))

(locals
  (found (let ((t #t)) (my-or #f t)))
  (rows (table (1 2 3) (4))))
