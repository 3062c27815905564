;; Attributes a resource type does not have.
(resource null-resource "a"
  (trigers (a "b")))

(resource random-id "b"
  (bytelength 4))

(resource local-file "c"
  (filename "x.txt")
  (contents "hello")
  (permission "0600"))

(data local-file "d"
  (file-name "x.txt"))
