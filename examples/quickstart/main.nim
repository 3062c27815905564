;; Nimbus quickstart: only built-in providers, so it runs anywhere with no
;; account and no server. `nimbus apply` creates everything below,
;; `nimbus output` shows the outputs, `nimbus destroy` removes it all.

(define-variables
  (project (type string) (default "quickstart")
    (validation (> (length project) 2) "must be at least 3 characters"))
  (replicas (type number) (default 3)
    (validation (and (>= replicas 1) (<= replicas 20)) "must be between 1 and 20"))
  (environments (type (list string)) (default (list "dev" "staging"))))

(locals
  (prefix (format "~a-~a" (var project) (ref random-id "suffix" "hex")))
  (common-tags (map (project (var project)) (managed-by "nimbus"))))

(define-infrastructure quickstart
  (resource random-id "suffix"
    (byte-length 3))

  (resource random-password "admin"
    (length 20)
    (min-numeric 2))

  ;; One file per replica; the index comes from `count`.
  (resource local-file "replica"
    (count (var replicas))
    (filename (format "out/~a/replica-~a.json" (local prefix) count-index))
    (content (json-encode (merge (local common-tags) (map (index count-index))))))

  ;; One marker per environment, keyed by name with `for-each`.
  (resource terraform-data "environment"
    (for-each (var environments))
    (input (format "~a/~a" (local prefix) each-key)))

  (resource time-static "created")

  (resource null-resource "ready"
    (triggers (files (to-string (length (ref local-file "replica"))))
              (created (ref time-static "created" "rfc3339"))))

  (output "prefix"
    (description "Prefix shared by every file")
    (value (local prefix)))

  (output "replica-files"
    (value (ref local-file "replica" * "filename")))

  (output "admin-password"
    (sensitive #t)
    (value (ref random-password "admin" "result"))))
