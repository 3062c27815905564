;; `--exclude` of one instance leaves out that instance only: the block's
;; other instances are planned and applied; what depends on the block waits
;; (dependencies are known per block). A later apply does the rest.
;; ---- apply
(resource terraform-data "node"
  (count 3)
  (input (format "v1-~a" count-index)))

(resource terraform-data "summary"
  (input (length (ref terraform-data "node" * "output"))))
;; ---- apply --exclude terraform-data.node[1]
(resource terraform-data "node"
  (count 3)
  (input (format "v2-~a" count-index)))

(resource terraform-data "summary"
  (input (format "~a nodes" (length (ref terraform-data "node" * "output")))))
;; ---- apply
