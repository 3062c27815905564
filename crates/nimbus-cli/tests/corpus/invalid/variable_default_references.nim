;; A default is a literal value: it cannot refer to other declarations.
(define-variables
  (base (type string) (default "x"))
  (derived (type string) (default (var base)))
  (from-local (type string) (default (local name))))

(locals
  (name "n"))
