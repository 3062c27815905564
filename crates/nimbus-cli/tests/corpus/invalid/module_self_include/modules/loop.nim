(use-module "./loop.nim")

(include loop)

(resource null-resource "a")
