;; ignore-changes all: no edit of the configuration changes the object
;; after its creation, not even one that would replace it.
;; ---- apply
(resource null-resource "pinned"
  (triggers (version "1"))
  (lifecycle (ignore-changes all)))

(resource terraform-data "also-pinned"
  (input "a")
  (lifecycle (ignore-changes all)))
;; ---- apply
(resource null-resource "pinned"
  (triggers (version "2"))
  (lifecycle (ignore-changes all)))

(resource terraform-data "also-pinned"
  (input "b")
  (lifecycle (ignore-changes all)))
