;; An `import` block brings an existing object under management: the plan
;; imports it and updates it to match the configuration; afterwards the
;; block is a no-op, kept as a record whatever its id (as in Terraform).
;; Importing into an instance the configuration does not declare is refused; the id may be
;; computed from variables and locals, but must be known when planning.
;; With `for-each`, one block imports one object per element, its key and
;; id computed from `each-key` and `each-value`.
;; ---- apply
(define-variables (suffix (type string) (default "one")))
(locals (id (format "existing-~a" (var suffix))))
(resource terraform-data "adopted" (input "configured"))
(import (to terraform-data.adopted) (id (local id)))
;; ---- history resource.import
;; ---- plan
;; ---- plan
(resource terraform-data "adopted" (input "configured"))
(import (to terraform-data.adopted) (id "another"))
;; ---- plan
(resource terraform-data "adopted" (input "configured"))
(resource terraform-data "many" (count 2))
(import (to terraform-data.many[5]) (id "x"))
;; ---- plan
(resource terraform-data "adopted" (input "configured"))
(resource terraform-data "src")
(resource terraform-data "many" (count 2))
(import (to terraform-data.many[0]) (id (ref terraform-data "src" "id")))
;; ---- save-plan
(resource terraform-data "adopted" (input "configured"))
(resource random-id "key" (byte-length 4))
(import (to random-id.key) (id "AQIDBA"))
;; ---- apply-saved
;; ---- apply
(define-variables (existing (type (map string)) (default (map ("a" "id-a") ("b" "id-b")))))
(resource terraform-data "adopted" (input "configured"))
(resource random-id "key" (byte-length 4))
(resource terraform-data "many" (for-each (var existing)) (input each-key))
(import (for-each (var existing)) (to (ref terraform-data "many" each-key)) (id each-value))
;; ---- plan
