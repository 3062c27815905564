;; 40 local files: refreshed slowly (NIMBUS_BUILTIN_READ_DELAY_MS), so that
;; a signal lands while a refresh or a plan still holds reads to make.
(define-infrastructure reads
  (resource local-file "f"
    (count 40)
    (filename (format "out/f~a.txt" count-index))
    (content (format "file ~a" count-index))))
