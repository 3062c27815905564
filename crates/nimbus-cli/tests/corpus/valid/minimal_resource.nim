;; The smallest useful configuration: one resource, no attributes.
(resource null-resource "anchor")
