(define-infrastructure t
  (resource null-resource "n" (triggers (v "2")) (lifecycle (create-before-destroy #t))))
