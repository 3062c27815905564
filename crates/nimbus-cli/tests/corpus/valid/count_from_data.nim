;; count and for-each from variables and locals known at plan time.
(define-variables
  (instances (type number) (default 2))
  (names (type (set string)) (default (list "b" "a"))))

(locals
  (doubled (* 2 (var instances))))

(resource null-resource "doubled"
  (count (local doubled)))

(resource null-resource "named"
  (for-each (var names))
  (triggers (name each-key)))

(data local-file "counted"
  (count (var instances))
  (filename (format "in/~a.txt" count-index)))
