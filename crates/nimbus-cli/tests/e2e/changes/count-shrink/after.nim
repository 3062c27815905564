(define-infrastructure t
  (resource terraform-data "item" (count 1) (input (format "item ~a" count-index))))
