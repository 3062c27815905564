;; count and for-each exclude each other.
(resource null-resource "both"
  (count 2)
  (for-each (list "a" "b")))
