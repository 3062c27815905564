;; A module: its variables are its inputs, its outputs what callers see.
(define-variables
  (project (type string))
  (environment (type string) (default "dev"))
  (tags (type (map string)) (default (map))))

(resource random-id "suffix"
  (byte-length 2))

(output "name"
  (value (format "~a-~a" (var project) (var environment))))

(output "bucket"
  (value (format "~a-~a-~a" (var project) (var environment) (ref random-id "suffix" "hex"))))

(output "tags"
  (value (merge (var tags) (map (project (var project))))))
