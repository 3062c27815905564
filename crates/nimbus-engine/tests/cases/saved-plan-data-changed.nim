;; A data source read while planning gave values the saved plan holds as
;; known. When the file it reads changes before the apply, the
;; configuration no longer produces the saved plan, and it is refused.
;; ---- file input.txt
original
;; ---- save-plan
(data local-file "input"
  (filename "input.txt"))

(resource terraform-data "copy"
  (input (ref data local-file "input" "content")))
;; ---- file input.txt
changed
;; ---- apply-saved
