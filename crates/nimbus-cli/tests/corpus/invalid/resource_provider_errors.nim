;; A resource naming a provider configuration that does not exist.
(provider builtin (alias second))

(resource null-resource "a"
  (provider builtin.secnd))

(resource null-resource "b"
  (provider nowhere))
