;; 300 local files and an output: a state of a few hundred KiB, enough
;; pages for damage in the middle of the file to land in its tables.
(define-infrastructure damage
  (resource local-file "f"
    (count 300)
    (filename (format "out/f~a.txt" count-index))
    (content (format "file ~a" count-index))))

(output "first" (value (ref local-file "f" 0 "filename")))
