(define-infrastructure t
  (resource null-resource "n" (triggers (v "1")) (lifecycle (create-before-destroy #t))))
