;; Four creates that stay in flight for as long as the test's create delay.
(define-infrastructure in-flight
  (resource null-resource "n"
    (count 4)))
