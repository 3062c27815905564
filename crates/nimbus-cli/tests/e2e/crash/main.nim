;; 500 independent resources for the crash-safety check.
(define-infrastructure crash
  (resource null-resource "n"
    (count 500)))
