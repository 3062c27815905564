;; count and count-index; count may be any expression known at plan time.
(define-variables
  (zones (type (list string)) (default (list "a" "b" "c"))))

(resource null-resource "per-zone"
  (count (length (var zones)))
  (triggers
    (zone (element (var zones) count-index))
    (position (to-string (+ count-index 1)))
    (call-form (to-string (count-index)))))

(resource null-resource "none"
  (count 0))

(output "zones"
  (value (length (ref null-resource "per-zone"))))
