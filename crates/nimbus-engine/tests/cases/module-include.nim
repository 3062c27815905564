;; A module (`use-module` + `include`) with an input: its resources are
;; addressed `module.INSTANCE.TYPE.NAME`, its output is read by the root
;; with `module-output`. Changing the input updates the module's object.
;; ---- file modules/naming.nim
(define-variables
  (project (type string))
  (environment (type string) (default "dev")))

(resource terraform-data "name"
  (input (format "~a-~a" (var project) (var environment))))

(output "name"
  (value (ref terraform-data "name" "output")))
;; ---- apply
(use-module "./modules/naming.nim")

(include naming (project "shop"))

(resource local-file "label"
  (filename "label.txt")
  (content (module-output naming "name")))

(output "name"
  (value (module-output naming "name")))
;; ---- apply
(use-module "./modules/naming.nim")

(include naming (project "shop") (environment "prod"))

(resource local-file "label"
  (filename "label.txt")
  (content (module-output naming "name")))

(output "name"
  (value (module-output naming "name")))
