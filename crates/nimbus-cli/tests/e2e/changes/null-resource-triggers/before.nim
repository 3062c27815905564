(define-infrastructure t
  (resource null-resource "trigger" (triggers (version "1") (owner "ops"))))
