;; use-module + include: inputs in, outputs out via module-output.
(use-module "./modules/naming.nim")

(define-infrastructure app
  (include naming
    (project "nimbus")
    (environment "prod")
    (tags (team "platform")))

  (resource terraform-data "app"
    (input (module-output naming "name")))

  (output "bucket-name"
    (value (module-output naming "bucket"))))
