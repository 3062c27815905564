;; A data source whose dependency has a change pending waits for apply,
;; although its own configuration is known: reading now would read the
;; file before it is replaced. The output follows the new content.
;; ---- apply
(resource local-file "source"
  (filename "source.txt")
  (content "first"))

(data local-file "copy"
  (filename "source.txt")
  (depends-on (ref local-file "source")))

(output "seen"
  (value (ref data local-file "copy" "content")))
;; ---- apply
(resource local-file "source"
  (filename "source.txt")
  (content "second"))

(data local-file "copy"
  (filename "source.txt")
  (depends-on (ref local-file "source")))

(output "seen"
  (value (ref data local-file "copy" "content")))
