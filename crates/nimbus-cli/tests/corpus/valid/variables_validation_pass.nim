;; Validation rules see the variable under its own bare name.
(define-variables
  (environment (type string) (default "staging")
    (validation (contains (list "dev" "staging" "prod") environment)
      "must be dev, staging or prod"))
  (max-replicas (type number) (default 10))
  (replicas (type number) (default 3)
    (validation (> replicas 0) "must be positive")
    ;; A rule may also refer to other variables.
    (validation (<= replicas (var max-replicas)) "must be at most max-replicas"))
  (cidr (type string) (default "10.0.0.0/16")
    (validation (= (cidr-netmask cidr) "255.255.0.0") "must be a /16")))

(resource null-resource "checked"
  (count (var replicas))
  (triggers (env (var environment)) (cidr (var cidr))))
