;; Meta-arguments: missing values, set twice, malformed.
(resource null-resource "a"
  (count))

(resource null-resource "b"
  (count 1)
  (count 2))

(resource null-resource "c"
  (for-each))

(resource null-resource "d"
  (provider (builtin)))

(resource null-resource "e"
  (lifecycle (prevent-destroy #t))
  (lifecycle (prevent-destroy #f)))

(resource null-resource "f"
  (depends-on))
