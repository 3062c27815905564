;; Attributes computed by the provider cannot be set.
(resource null-resource "a"
  (id "my-id"))

(resource random-password "b"
  (length 10)
  (result "hunter2"))

(resource terraform-data "c"
  (output "x"))
