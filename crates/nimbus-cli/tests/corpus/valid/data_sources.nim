;; Data sources are read-only lookups, referred to with (ref data TYPE NAME ...).
(data local-file "template"
  (filename "main.nim"))

(data local-file "per-env"
  (for-each (list "dev" "prod"))
  (filename (format "envs/~a.txt" each-key)))

(resource local-file "rendered"
  (filename "out/rendered.txt")
  (content (replace (ref data local-file "template" "content") "{{name}}" "nimbus")))

(resource null-resource "depends-on-data"
  (depends-on (ref data local-file "template"))
  (triggers (sha (ref data local-file "per-env" "dev" "content-sha256"))))

(output "template-md5"
  (value (ref data local-file "template" "content-md5")))
