;; A block removed from the configuration is deleted, with the reason
;; given; what is still configured is left alone.
;; ---- apply
(resource terraform-data "kept"
  (input "k"))

(resource terraform-data "removed"
  (input "r"))

(resource local-file "note"
  (filename "note.txt")
  (content "hello"))
;; ---- apply
(resource terraform-data "kept"
  (input "k"))
