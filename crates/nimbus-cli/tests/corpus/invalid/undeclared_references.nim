;; References to resources that are not declared.
(resource null-resource "web")
(resource random-id "suffix" (byte-length 2))

(resource null-resource "a"
  (triggers (id (ref null-resource "webb" "id"))
            (suffix (ref random-ids "suffix" "hex"))
            (data (ref data local-file "missing" "content"))))

(output "o"
  (value (ref null-resource "nothing-like-it" "id")))
