;; Switching a block from `count` to `for-each` changes every instance
;; address: the indexed instances are deleted and keyed ones created.
;; ---- apply
(resource terraform-data "node"
  (count 2)
  (input (format "node-~a" count-index)))
;; ---- apply
(resource terraform-data "node"
  (for-each (list "a" "b"))
  (input (format "node-~a" each-key)))
