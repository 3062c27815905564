;; Attribute paths that do not exist on the referenced value.
(resource random-id "suffix" (byte-length 2))
(resource terraform-data "data" (input (map (a (map (b 1))) (list (list 1 2)))))

(resource null-resource "a"
  (triggers (hex (ref random-id "suffix" "hexx"))))

(resource null-resource "b"
  (triggers (nested (to-string (ref terraform-data "data" "input" "a" "c")))))

(resource null-resource "c"
  (triggers (index (to-string (ref terraform-data "data" "input" "list" 5)))))

(resource null-resource "d"
  (triggers (wrong (to-string (ref terraform-data "data" "input" 0)))))
