;; `--target` of one instance of a counted block acts on that instance
;; only; the others are neither created nor deleted.
;; ---- apply
(resource terraform-data "node"
  (count 3)
  (input (format "node-~a-v1" count-index)))
;; ---- apply --target terraform-data.node[1]
(resource terraform-data "node"
  (count 3)
  (input (format "node-~a-v2" count-index)))
;; ---- plan
;; (the two other instances are still to update)
;; ---- apply --target terraform-data.node[2]
(resource terraform-data "node"
  (count 2)
  (input (format "node-~a-v2" count-index)))
