(define-variables
  (message (type string) (default "one")))

(define-infrastructure saved
  (resource terraform-data "message"
    (input (var message)))

  (resource local-file "note"
    (filename "out/note.txt")
    (content (var message))))
