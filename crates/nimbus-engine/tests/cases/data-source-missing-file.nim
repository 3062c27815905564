;; A data source reading a file that does not exist fails the plan with
;; the address named; nothing is applied.
;; ---- apply
(data local-file "absent"
  (filename "nowhere/absent.txt"))

(resource terraform-data "user"
  (input (ref data local-file "absent" "content")))
