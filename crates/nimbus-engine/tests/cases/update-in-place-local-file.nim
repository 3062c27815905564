;; A change that the provider applies in place: a local file's permission
;; is updated without rewriting it (its content and digests stay).
;; ---- apply
(resource local-file "script"
  (filename "run.sh")
  (content "echo hi")
  (file-permission "0644"))
;; ---- apply
(resource local-file "script"
  (filename "run.sh")
  (content "echo hi")
  (file-permission "0755"))
;; ---- plan
