(define-infrastructure t
  (resource terraform-data "item" (count 3) (input (format "item ~a" count-index))))
