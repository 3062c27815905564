(locals
  (name (format "app-~a" (ref random-id "suffix" "hex"))))

(define-infrastructure graph
  (resource random-id "suffix"
    (byte-length 2))

  (resource terraform-data "app"
    (input (local name)))

  (resource local-file "manifest"
    (filename "out/manifest.txt")
    (content (ref terraform-data "app" "output")))

  (resource null-resource "after"
    (depends-on (ref local-file "manifest")))

  (resource null-resource "alone"))
