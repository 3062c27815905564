(define-variables
  (generation (type string) (default "1")))

(define-infrastructure lifecycle-rules
  (resource null-resource "precious"
    (triggers (generation (var generation)))
    (lifecycle (prevent-destroy #t)))

  (resource null-resource "cbd"
    (triggers (generation (var generation)))
    (lifecycle (create-before-destroy #t)))

  (resource null-resource "plain"
    (triggers (generation (var generation))))

  (resource terraform-data "ignored"
    (input (format "generation ~a" (var generation)))
    (lifecycle (ignore-changes input))))
