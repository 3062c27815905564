(define-variables
  (name (type string)))

(resource null-resource "a"
  (triggers (name (var nme))))

(resource random-id "b")
