;; `count` on an `include`: one module instance per index, addressed
;; `module.NAME[INDEX].`, with `count-index` in the call's inputs. Growing
;; the count adds an instance; shrinking it deletes the objects of the
;; instances that went away. `(module-output NAME OUT)` is the list of
;; every instance's OUT, `(module-output NAME INDEX OUT)` one instance's.
;; ---- file modules/node.nim
(define-variables
  (name (type string)))

(resource terraform-data "server"
  (input (var name)))

(output "name"
  (value (ref terraform-data "server" "input")))
;; ---- validate
(use-module "./modules/node.nim")

(define-variables
  (nodes (type number) (default 2)))

(include node (count (var nodes))
  (name (format "node-~a" count-index)))

(output "names"
  (value (module-output node "name")))

(output "first"
  (value (module-output node 0 "name")))
;; ---- apply
;; ---- apply
(use-module "./modules/node.nim")

(define-variables
  (nodes (type number) (default 3)))

(include node (count (var nodes))
  (name (format "node-~a" count-index)))

(output "names"
  (value (module-output node "name")))

(output "first"
  (value (module-output node 0 "name")))
;; ---- apply
(use-module "./modules/node.nim")

(define-variables
  (nodes (type number) (default 1)))

(include node (count (var nodes))
  (name (format "node-~a" count-index)))

(output "names"
  (value (module-output node "name")))

(output "first"
  (value (module-output node 0 "name")))
;; ---- apply
(use-module "./modules/node.nim")

(define-variables
  (nodes (type number) (default 0)))

(include node (count (var nodes))
  (name (format "node-~a" count-index)))

(output "names"
  (value (module-output node "name")))
;; ---- apply
(use-module "./modules/node.nim")

(define-variables
  (nodes (type number) (default 2)))

(include node (count (var nodes))
  (name (format "node-~a" count-index)))

(output "names"
  (value (module-output node "name")))
;; ---- destroy
