;; `*` selects every instance of a counted or keyed resource only.
(resource null-resource "single")
(resource null-resource "counted" (count 2))

(resource null-resource "a"
  (triggers (x (join "," (ref null-resource "single" * "id")))))

(resource null-resource "b"
  (triggers (x (join "," (ref null-resource "counted" * "idd")))))

(locals
  (star *))
