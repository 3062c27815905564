(define-infrastructure import
  (resource local-file "adopted"
    (filename "data/existing.txt")
    (content "made by hand\n")))
