;; Destroy deletes in reverse dependency order, from the dependencies
;; recorded in state, then clears the outputs; the files are gone.
;; ---- apply --log
(resource local-file "base"
  (filename "base.txt")
  (content "base"))

(resource terraform-data "middle"
  (input (ref local-file "base" "content")))

(resource local-file "top"
  (filename "top.txt")
  (content (ref terraform-data "middle" "output")))

(output "top"
  (value (ref local-file "top" "filename")))
;; ---- destroy --log
;; ---- destroy
;; (nothing left to destroy)
