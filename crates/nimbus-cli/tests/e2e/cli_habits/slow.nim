;; 300 instances, created slowly (NIMBUS_BUILTIN_CREATE_DELAY_MS) so that
;; an interrupt leaves most of them skipped.
(define-infrastructure slow
  (resource null-resource "n"
    (count 300)))
