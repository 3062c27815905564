;; Values of the wrong type for the attribute.
(resource random-id "a"
  (byte-length "four"))

(resource null-resource "b"
  (triggers (nested (list "x" "y"))))

(resource local-file "c"
  (filename (list "a" "b")))

(resource random-string "d"
  (length 10)
  (special "yes"))

(resource null-resource "e"
  (triggers "not a map"))
