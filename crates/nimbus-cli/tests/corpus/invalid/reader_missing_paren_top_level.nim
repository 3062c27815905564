;; The first resource lacks its `)`: the next top-level form at the same
;; indentation shows where it belongs.
(resource null-resource "a"
  (triggers (x "1"))

(resource null-resource "b"
  (triggers (y "2")))

(output "o" (value 1))
