;; Lifecycle, first version: one resource of each kind the checks need.
(define-infrastructure lifecycle
  ;; Changing `input` updates it in place.
  (resource terraform-data "config"
    (input "v1"))

  ;; Changing `triggers` replaces it.
  (resource null-resource "trigger"
    (triggers (version "1")))

  ;; A real file: edited out of band for the drift check, gone after destroy.
  (resource local-file "motd"
    (filename "out/motd.txt")
    (content "hello from nimbus\n"))

  (output "config"
    (value (ref terraform-data "config" "output"))))
