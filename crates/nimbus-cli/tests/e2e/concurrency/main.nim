;; Five slow creates (with NIMBUS_BUILTIN_CREATE_DELAY_MS) keep the lock held.
(define-infrastructure concurrency
  (resource null-resource "slow"
    (count 5)))
