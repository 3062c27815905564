;; depends-on must name declared resources.
(resource null-resource "first")

(resource null-resource "a"
  (depends-on (ref null-resource "frist")))

(resource null-resource "b"
  (depends-on "null-resource.first"))

(resource null-resource "c"
  (depends-on (ref data local-file "nothing")))

(resource null-resource "d"
  (depends-on (ref null-resource)))
