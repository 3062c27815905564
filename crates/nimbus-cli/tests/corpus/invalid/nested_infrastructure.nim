;; define-infrastructure needs a name and cannot be nested.
(define-infrastructure outer
  (define-infrastructure inner
    (resource null-resource "a")))

(define-infrastructure)
