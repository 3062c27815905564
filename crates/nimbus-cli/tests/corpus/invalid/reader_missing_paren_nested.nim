;; A resource inside define-infrastructure lacks its `)`: the last `)`
;; closes it instead, and only the wrapper stays open.
(define-infrastructure prod
  (resource null-resource "a"
    (triggers (x "1"))
  (resource null-resource "b"
    (triggers (y "2")))
  (output "o" (value 1)))
