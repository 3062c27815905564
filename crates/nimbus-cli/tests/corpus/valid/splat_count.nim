;; `*` as the index selects every instance: a list for count.
(resource local-file "replica"
  (count 3)
  (filename (format "out/replica-~a.txt" count-index))
  (content "replica"))

(resource null-resource "inventory"
  (triggers (files (join "," (ref local-file "replica" * "filename")))
            (count (to-string (length (ref local-file "replica" *))))))

(output "replica-files"
  (value (ref local-file "replica" * "filename")))
