;; Object attributes declared `(optional T DEFAULT)` take their default
;; when left out or null, nested objects included (an optional object
;; defaulted to an empty map gets its own attributes' defaults); without a
;; default an optional attribute left out is null. A default that is not
;; a literal of its type is refused where it is written.
;; ---- apply
(define-variables
  (services
    (type (map (object
      (name string)
      (port (optional number 8080))
      (replicas (optional number))
      (health (optional (object
        (path (optional string "/healthz"))
        (interval (optional number 10))) (map))))))
    (default (map
      (api (map (name "api") (port 9000)))
      (web (map (name "web") (health (map (interval 30)))))
      (job (map (name "job") (port null) (replicas 2)))))))

(resource terraform-data "service"
  (for-each (var services))
  (input each-value))
;; ---- apply
(define-variables
  (service
    (type (object (port (optional number "eighty")))))
  (other
    (type (object (port (optional number (var service)))))))
