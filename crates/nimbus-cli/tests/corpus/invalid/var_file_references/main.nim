;; A var file holds literal values: a reference in one is explained as
;; such, not as an unknown variable.
;; args: --var-file values.vars
(define-variables
  (base (type number) (default 1))
  (replicas (type number)))

(resource null-resource "a"
  (count (var replicas)))
