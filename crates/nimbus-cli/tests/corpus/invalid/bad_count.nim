;; count must be a whole number known at plan time.
(resource null-resource "text"
  (count "two"))

(resource null-resource "negative"
  (count -1))

(resource null-resource "fraction"
  (count 1.5))

(resource null-resource "huge"
  (count 10000000000))

(resource null-resource "list"
  (count (list 1 2)))
