;; A chain of references: a change at the head makes every value that
;; depends on it unknown in the plan, and the apply carries the new value
;; down the chain in dependency order.
;; ---- apply
(resource terraform-data "a"
  (input "one"))

(resource terraform-data "b"
  (input (format "b(~a)" (ref terraform-data "a" "output"))))

(resource local-file "c"
  (filename "chain.txt")
  (content (ref terraform-data "b" "output")))

(output "chain"
  (value (ref local-file "c" "content")))
;; ---- apply --log
(resource terraform-data "a"
  (input "two"))

(resource terraform-data "b"
  (input (format "b(~a)" (ref terraform-data "a" "output"))))

(resource local-file "c"
  (filename "chain.txt")
  (content (ref terraform-data "b" "output")))

(output "chain"
  (value (ref local-file "c" "content")))
