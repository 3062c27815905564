;; Provider blocks with aliases, chosen per resource with (provider ...).
(provider builtin)

(provider builtin
  (alias secondary))

(resource null-resource "default")

(resource null-resource "secondary"
  (provider builtin.secondary))
