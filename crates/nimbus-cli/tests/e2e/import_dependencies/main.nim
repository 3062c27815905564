;; An imported object whose configuration refers to another block: the
;; dependency is recorded by the next apply, so destroy deletes the
;; imported file before what it depends on.
(define-infrastructure import-dependencies
  (resource terraform-data "label"
    (input "made by hand\n"))
  (resource local-file "adopted"
    (filename "data/existing.txt")
    (content (ref terraform-data "label" "output"))))
