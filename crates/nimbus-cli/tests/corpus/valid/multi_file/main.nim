;; Every .nim file of the directory is read: declarations in one file are
;; visible from the others.
(define-infrastructure split
  (resource terraform-data "app"
    (input (format "~a:~a" (var image) (local tag)))))
