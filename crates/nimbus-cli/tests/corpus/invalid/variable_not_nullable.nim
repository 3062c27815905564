;; A non-nullable variable cannot be null.
(define-variables
  (name (type string) (default null) (nullable #f)))
