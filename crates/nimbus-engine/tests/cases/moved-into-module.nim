;; Resources move into a module (and module calls are renamed), keeping
;; their objects: nothing is created or destroyed.
;; ---- file net/main.nim
(define-variables (name (type string)))
(resource terraform-data "vpc" (input (var name)))
;; ---- apply
(resource terraform-data "vpc" (input "main"))
;; ---- apply
(use-module net "./net")
(include net "network" (name "main"))
(moved (from terraform-data.vpc) (to module.network.terraform-data.vpc))
;; ---- apply
(use-module net "./net")
(include net "net" (count 1) (name "main"))
(moved (from module.network) (to (module net 0)))
;; ---- history resource.move
