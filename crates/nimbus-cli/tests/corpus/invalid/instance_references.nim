;; Wrong indexes and keys into counted and keyed resources.
(resource null-resource "counted"
  (count 2))

(resource null-resource "keyed"
  (for-each (list "dev" "prod")))

(resource null-resource "out-of-range"
  (triggers (x (ref null-resource "counted" 2 "id"))))

(resource null-resource "negative"
  (triggers (x (ref null-resource "counted" -1 "id"))))

(resource null-resource "string-index"
  (triggers (x (ref null-resource "counted" "first" "id"))))

(resource null-resource "missing-key"
  (triggers (x (ref null-resource "keyed" "prd" "id"))))

(resource null-resource "number-key"
  (triggers (x (ref null-resource "keyed" 0 "id"))))
