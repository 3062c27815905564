;; A saved plan with a data source read at apply (it reads a file the plan
;; creates) applies as planned: the read values were unknown in the plan.
;; ---- save-plan
(resource local-file "config"
  (filename "config.txt")
  (content "hello"))

(data local-file "readback"
  (filename (ref local-file "config" "filename")))

(resource terraform-data "copy"
  (input (ref data local-file "readback" "content")))
;; ---- apply-saved
;; ---- plan
