;; A local file that cannot be written (its parent is a regular file)
;; fails; the file that reads from it is skipped, the sibling file is
;; written.
;; ---- file blocker
not a directory
;; ---- apply
(resource local-file "broken"
  (filename "blocker/inside.txt")
  (content "never written"))

(resource local-file "dependent"
  (filename "dependent.txt")
  (content (ref local-file "broken" "content")))

(resource local-file "sibling"
  (filename "sibling.txt")
  (content "written"))
