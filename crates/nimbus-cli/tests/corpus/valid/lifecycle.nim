;; Every lifecycle setting.
(resource random-id "stable"
  (byte-length 8)
  (lifecycle
    (prevent-destroy #t)))

(resource local-file "config"
  (filename "out/config.txt")
  (content "v1")
  (lifecycle
    (create-before-destroy #t)
    (ignore-changes content file-permission)))

(resource null-resource "frozen"
  (triggers (at "now"))
  (lifecycle
    (ignore-changes all)))

(resource time-static "epoch"
  (lifecycle
    (prevent-destroy #f)
    (create-before-destroy #f)))
