;; A default that breaks a validation rule; a value from --var that does.
;; args: --var replicas=50
(define-variables
  (environment (type string) (default "qa")
    (validation (contains (list "dev" "prod") environment) "must be dev or prod"))
  (replicas (type number) (default 1)
    (validation (<= replicas 20) "must be at most 20"))
  (password (type string) (default "short") (sensitive #t)
    (validation (>= (length password) 12) "must be at least 12 characters")))
