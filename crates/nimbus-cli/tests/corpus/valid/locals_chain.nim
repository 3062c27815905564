;; Locals may refer to each other in any order; the graph sorts them.
(define-variables
  (project (type string) (default "nimbus")))

(locals
  (full-name (format "~a-~a" (local base) (local env-short)))
  (base (lower (var project)))
  (env-short (substr (local environment) 0 3))
  (environment "production")
  (labels (map (name (local full-name)) (length (length (local full-name))))))

(resource terraform-data "labels"
  (input (local labels)))

(output "full-name"
  (value (local full-name)))
