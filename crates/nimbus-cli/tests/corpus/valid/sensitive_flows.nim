;; Sensitive values from a resource attribute, through functions, into
;; sensitive outputs and other resources.
(resource random-password "api"
  (length 24)
  (special #f))

(locals
  (header (format "Bearer ~a" (ref random-password "api" "result")))
  (config (map (token (local header)) (url "https://example.com"))))

(resource local-file "secret"
  (filename "out/secret.txt")
  (content (local header))
  (file-permission "0600"))

(resource terraform-data "config"
  (input (local config)))

(output "header"
  (sensitive #t)
  (value (local header)))


;; A path into a value reaches the non-sensitive parts: only the token is
;; marked.
(output "url"
  (value (ref terraform-data "config" "input" "url")))
