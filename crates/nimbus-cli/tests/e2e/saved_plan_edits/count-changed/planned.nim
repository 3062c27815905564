(define-infrastructure t
  (resource terraform-data "item" (count 2) (input (format "item ~a" count-index))))
