;; count-index, each-key and each-value only exist in expanded resources.
(resource null-resource "plain"
  (triggers (i (to-string count-index))
            (k each-key)))

(resource null-resource "counted"
  (count 2)
  (triggers (v each-value)))

(resource null-resource "keyed"
  (for-each (list "a"))
  (triggers (i (to-string (count-index)))))

(locals
  (outside each-key))
