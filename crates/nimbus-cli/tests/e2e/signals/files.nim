;; 2,000 local files, created slowly (NIMBUS_BUILTIN_CREATE_DELAY_MS) so
;; that a signal lands while most are still to be made.
(define-infrastructure files
  (resource local-file "f"
    (count 2000)
    (filename (format "out/f~a.txt" count-index))
    (content (format "file ~a" count-index))))
