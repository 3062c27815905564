;; `--target module.NAME[1]` selects that module instance's blocks only;
;; `--target module.NAME` every instance of the `include`.
;; ---- file modules/node.nim
(define-variables
  (name (type string)))

(resource terraform-data "server"
  (input (var name)))
;; ---- plan --target module.node[1]
(use-module "./modules/node.nim")

(include node (count 3)
  (name (format "node-~a" count-index)))
;; ---- apply --target module.node[1]
;; ---- plan --target module.node
;; ---- plan --target module.node[7]
;; ---- apply
