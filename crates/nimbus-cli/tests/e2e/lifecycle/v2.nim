;; Lifecycle, second version: `input` and `triggers` changed.
(define-infrastructure lifecycle
  (resource terraform-data "config"
    (input "v2"))

  (resource null-resource "trigger"
    (triggers (version "2")))

  (resource local-file "motd"
    (filename "out/motd.txt")
    (content "hello from nimbus\n"))

  (output "config"
    (value (ref terraform-data "config" "output"))))
