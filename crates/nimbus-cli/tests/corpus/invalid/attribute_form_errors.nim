;; Block bodies hold (NAME VALUE) forms.
(resource null-resource "a"
  "triggers"
  ((nested) 1)
  ())

(resource null-resource "b"
  triggers)
