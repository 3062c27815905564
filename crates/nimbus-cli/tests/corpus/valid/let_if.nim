;; let binds names for its body; if picks a branch.
(define-variables
  (environment (type string) (default "prod")))

(locals
  (size (let ((is-prod (= (var environment) "prod"))
              (base 2))
          (if is-prod (* base 4) base)))
  (nested (let ((x 1))
            (let ((x (+ x 1)) (y x))
              (list x y))))
  (label (if (> (local size) 4) "large" "small")))

(resource null-resource "sized"
  (count (local size))
  (triggers (label (local label))
            (nested (json-encode (local nested)))))
