;; A `check` may hold a scoped data source: read as any other (while
;; planning, or at apply when what it depends on changes), referable only
;; from its check, and a failure to read it is a warning that leaves the
;; check unknown, never an error (`validate` still reports a mistake in
;; its configuration as one).
;; ---- file motd.txt
hello
;; ---- apply
(resource terraform-data "site"
  (input "up"))

(check "motd"
  (data local-file "motd"
    (filename "motd.txt"))
  (assert (= (ref data local-file "motd" "content") "hello\n") "the greeting changed"))
;; ---- file motd.txt
bye
;; ---- plan
;; ---- rm motd.txt
;; ---- apply
;; ---- plan
(resource terraform-data "site"
  (input (ref data local-file "motd" "content")))

(check "motd"
  (data local-file "motd"
    (filename "motd.txt"))
  (assert (= (ref data local-file "motd" "content") "hello\n") "the greeting changed"))
;; ---- plan
(resource local-file "status"
  (filename "status.txt")
  (content "ok"))

(check "status"
  (data local-file "status"
    (filename (ref local-file "status" "filename")))
  (assert (= (ref data local-file "status" "content") "ok") "the status is not ok"))
;; ---- validate
(check "motd"
  (data local-file "motd"
    (filenam "motd.txt"))
  (assert (= (ref data local-file "motd" "content") "hello\n") "the greeting changed"))
