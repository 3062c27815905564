;; Resources that depend on each other, through references and depends-on.
(resource null-resource "a"
  (triggers (b (ref null-resource "b" "id"))))

(resource null-resource "b"
  (depends-on (ref null-resource "c")))

(resource null-resource "c"
  (triggers (a (ref null-resource "a" "id"))))

(resource null-resource "self"
  (triggers (me (ref null-resource "self" "id"))))
