;; Outputs are planned and recorded like resources: a new output, a
;; changed one, one removed, and one computed from locals and variables
;; alone (known at plan time).
;; ---- apply
(define-variables
  (environment (type string) (default "dev")))

(locals
  (prefix (format "app-~a" (var environment))))

(resource terraform-data "app"
  (input (local prefix)))

(output "prefix"
  (value (local prefix)))

(output "app"
  (value (ref terraform-data "app" "output")))

(output "going-away"
  (value "soon gone"))
;; ---- apply
(define-variables
  (environment (type string) (default "prod")))

(locals
  (prefix (format "app-~a" (var environment))))

(resource terraform-data "app"
  (input (local prefix)))

(output "prefix"
  (value (local prefix)))

(output "app"
  (value (ref terraform-data "app" "output")))

(output "new"
  (value (list 1 2 3)))
