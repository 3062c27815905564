;; Every type a variable can declare, each with a default of that type.
(define-variables
  (name (type string) (default "app"))
  (replicas (type number) (default 3))
  (ratio (type number) (default 0.75))
  (enabled (type bool) (default #t))
  (anything (type any) (default (list 1 "two" #f)))
  (zones (type (list string)) (default (list "a" "b" "c")))
  (unique-zones (type (set string)) (default (list "b" "a" "b")))
  (tags (type (map string)) (default (map (team "core") (cost-center "42"))))
  (ports (type (map number)) (default (map (http 80) (https 443))))
  (service (type (object (name string) (port number) (public bool)))
    (default (map (name "web") (port 8080) (public #f))))
  (matrix (type (list (list number))) (default (list (list 1 2) (list 3 4))))
  ;; Numbers written as strings convert, as in Terraform.
  (converted (type number) (default "12"))
  (untyped (default "no type means any")))

(resource terraform-data "types"
  (input (map
           (name (var name))
           (replicas (var replicas))
           (ratio (var ratio))
           (enabled (var enabled))
           (anything (var anything))
           (zones (var zones))
           (unique (var unique-zones))
           (tags (var tags))
           (https (lookup (var ports) "https"))
           (port (lookup (var service) "port"))
           (cell (element (element (var matrix) 1) 0))
           (converted (+ (var converted) 1))
           (untyped (var untyped)))))
