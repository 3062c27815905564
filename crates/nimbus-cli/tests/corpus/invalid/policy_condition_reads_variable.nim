;; A policy condition reads the change, not the configuration.
(define-variables (env (type string) (default "prod")))
(define-policy p
  (deny "*" (when (= (var env) "prod"))))
(resource terraform-data "x" (input 1))
