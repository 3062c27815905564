;; A target that names nothing in the configuration or the state is an
;; error, not an empty plan.
;; ---- apply
(resource terraform-data "node"
  (count 2)
  (input "x"))
;; ---- plan --target terraform-data.nodes
;; ---- plan --target null-resource.node
