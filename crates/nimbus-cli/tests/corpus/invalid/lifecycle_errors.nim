;; Malformed lifecycle settings.
(resource local-file "a"
  (filename "a.txt")
  (content "a")
  (lifecycle
    (prevent-destroy "yes")
    (create-before-destory #t)
    (ignore-changes contnt 42)))

(resource null-resource "b"
  (lifecycle
    (ignore-changes id)
    prevent-destroy))
