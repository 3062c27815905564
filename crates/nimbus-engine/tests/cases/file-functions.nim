;; The file functions read the project's files, relative to the root
;; module's directory: `file`, `file-set` as a `for-each` (its keys known
;; at plan), `file-sha256`, and `template-file` rendering a template in
;; HCL's template language with its variables only. Editing a file read
;; by `file` changes the resource that uses it; a missing file is an error
;; at the call.
;; ---- file conf/a.json
{"name": "a"}
;; ---- file conf/b.json
{"name": "b"}
;; ---- file conf/skip.txt
not json
;; ---- file greeting.tpl
Hello, ${name}!
%{ for s in sizes ~}
- ${s}
%{ endfor ~}
;; ---- apply
(resource terraform-data "conf"
  (for-each (to-set (file-set "conf" "*.json")))
  (input (json-decode (file (string-append "conf/" each-key)))))

(resource terraform-data "digest"
  (input (file-sha256 "conf/a.json")))

(resource terraform-data "greeting"
  (input (template-file "greeting.tpl" (map (name "world") (sizes (list 1 2))))))
;; ---- file conf/a.json
{"name": "A"}
;; ---- plan
;; ---- apply
(resource terraform-data "missing"
  (input (file "conf/none.json")))
;; ---- apply
(resource terraform-data "bad-template"
  (input (template-file "greeting.tpl" (map (name "x")))))
