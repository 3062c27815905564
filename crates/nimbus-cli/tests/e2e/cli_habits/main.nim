;; Two resources, one configured from a variable, and an output: enough to
;; see which spelling of a flag took effect.
(define-variables (message (type string) (default "from-default")))

(define-infrastructure habits
  (resource terraform-data "first" (input (var message)))

  (resource terraform-data "second" (input "second"))

  (output "message" (value (ref terraform-data "first" "output"))))
