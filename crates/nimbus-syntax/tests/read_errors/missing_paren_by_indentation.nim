(define-infrastructure prod
  (resource null-resource "a"
    (triggers (x "1"))
  (resource null-resource "b"
    (triggers (y "2"))))

(resource null-resource "c"
  (triggers (z "3"))
(output "o" (value 1))
