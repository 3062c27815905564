;; An empty action string.
(define-policy p (deny ""))
(resource terraform-data "x" (input 1))
