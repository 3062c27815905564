;; Validation rules see variables only; a rule may compare with another
;; variable, and its message names the failing variable.
(define-variables
  (min-size (type number) (default 5))
  (size (type number) (default 3)
    (validation (>= size (var min-size)) "must be at least min-size"))
  (name (type string) (default "x")
    (validation (!= name (local reserved)) "must not be reserved")))

(locals
  (reserved "admin"))
