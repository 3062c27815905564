;; args: --var name=from-cli --var replicas=4 --var zones=["a","b"] --var flags={"debug":true}
;; Required variables given on the command line: numbers convert from text,
;; collections are JSON (or .nim literals such as (list "a")).
(define-variables
  (name (type string))
  (replicas (type number))
  (zones (type (list string)))
  (flags (type (map bool))))

(resource null-resource "node"
  (count (var replicas))
  (triggers
    (name (format "~a-~a" (var name) count-index))
    (zone (element (var zones) count-index))
    (debug (to-string (lookup (var flags) "debug")))))
