;; Attribute forms whose values are missing or malformed.
(resource null-resource "a"
  (triggers (a)))

(resource random-id "b"
  (byte-length)
  (prefix "a" "b"))

(resource null-resource "c"
  (triggers ("ok" "1") (42 "no") ((format "k") "v")))

(resource null-resource "d"
  (triggers ("k" "v") plain))
