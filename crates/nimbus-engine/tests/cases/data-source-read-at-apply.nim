;; A data source reading a file that the same plan creates is read at
;; apply, not from the object about to change: its attributes are unknown
;; in the plan, and known once applied.
;; ---- apply
(resource local-file "generated"
  (filename "gen/config.json")
  (content "{\"replicas\": 3}"))

(data local-file "readback"
  (filename (ref local-file "generated" "filename")))

(output "replicas"
  (value (lookup (json-decode (ref data local-file "readback" "content")) "replicas")))
;; ---- plan
;; (unchanged: the data source is read while planning again)
