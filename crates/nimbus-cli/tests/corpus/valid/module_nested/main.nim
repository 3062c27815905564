;; A module that includes another module.
(use-module "./modules/service.nim")

(include service (name "api"))

(output "service-id"
  (value (module-output service "id")))
