;; How attribute forms are read, directed by the attribute's type.
(define-variables
  (extra-tags (type (map string)) (default (map (team "core")))))

(locals
  (base-tags (map (managed-by "nimbus"))))

;; A map-typed attribute: (KEY VALUE) entries...
(resource null-resource "entries"
  (triggers (environment "prod") ("with space" "ok") (number 42)))

;; ...or one expression form producing a map.
(resource null-resource "expression"
  (triggers (merge (local base-tags) (var extra-tags))))

(resource null-resource "reference"
  (triggers (var extra-tags)))

;; An entry whose value is itself an expression.
(resource null-resource "computed-entries"
  (triggers (joined (join "-" (list "a" "b")))
            (from-ref (ref null-resource "entries" "id"))))

;; A value of type any takes exactly one expression.
(resource terraform-data "any"
  (input (list "a" (map (b 1)))))
