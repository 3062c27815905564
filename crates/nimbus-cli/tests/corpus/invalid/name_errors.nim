;; Names must be identifiers; blocks need them.
(resource null-resource "has space")
(resource null-resource)
(resource)
(resource null-resource 42)
(data local-file)
(resource "null.resource" "x")
(output "bad/name" (value 1))
(locals (42 "x"))
