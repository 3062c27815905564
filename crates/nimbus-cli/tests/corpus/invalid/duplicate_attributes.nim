;; The same attribute or map key set twice.
(resource random-id "a"
  (byte-length 4)
  (byte-length 8))

(resource null-resource "b"
  (triggers (x "1") (x "2")))

(resource random-string "c"
  (length 4)
  (keepers (a "1"))
  (keepers (b "2")))
