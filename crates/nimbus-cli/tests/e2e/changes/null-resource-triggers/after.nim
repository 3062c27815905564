(define-infrastructure t
  (resource null-resource "trigger" (triggers (version "2") (owner "ops"))))
