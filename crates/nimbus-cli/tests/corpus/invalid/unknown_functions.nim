;; Calls of functions that do not exist, with suggestions.
(locals
  (a (formt "~a" 1))
  (b (uper "x"))
  (c (base64encode "x"))
  (d (frobnicate 1 2)))

(resource null-resource "n"
  (triggers (x (jion "," (list "a")))))
