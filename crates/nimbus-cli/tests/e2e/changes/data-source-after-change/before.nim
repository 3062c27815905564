;; A data source reading what a resource writes: its read waits for apply
;; whenever the resource has a change pending, also when its own
;; configuration is known at plan time.
(define-infrastructure t
  (resource local-file "settings"
    (filename "out/settings.txt")
    (content "v1"))
  (data local-file "settings"
    (filename (ref local-file "settings" "filename")))
  (resource terraform-data "echo"
    (input (ref data local-file "settings" "content"))))
