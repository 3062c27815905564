;; Variables are nullable by default; null means "not set" for attributes.
(define-variables
  (prefix (type string) (default null))
  (suffix (type string) (default "-x") (nullable #f))
  (description (type string) (default null) (description "Optional text")))

(resource random-id "id"
  (byte-length 4)
  (prefix (var prefix)))

(resource terraform-data "name"
  (input (coalesce (var description) (string-append "none" (var suffix)))))
