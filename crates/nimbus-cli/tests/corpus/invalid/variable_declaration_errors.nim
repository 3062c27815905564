;; Malformed variable declarations.
(define-variables
  (a (type strng))
  (b (type (list)))
  (c (type (object (name string) port)))
  (d (defualt 1))
  (e (type string) (validation (> 1 0)))
  (f (sensitive "yes"))
  (g (nullable 1))
  (h (description 42))
  ("bad name" (type string))
  (i (type string string))
  just-a-name
  (j (type number) (default 1)
    (validation (+ j 1) "must be a bool condition")))
