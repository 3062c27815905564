;; Misspelt meta-arguments land among the attributes: suggest them.
(resource null-resource "a"
  (coutn 2))

(resource null-resource "b"
  (for-eachh (list "x")))

(resource null-resource "c"
  (providr builtin))

(data local-file "d"
  (filename "x.txt")
  (lifecycel (prevent-destroy #t)))
