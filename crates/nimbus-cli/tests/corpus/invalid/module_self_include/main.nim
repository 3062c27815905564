;; A module that includes itself.
(use-module "./modules/loop.nim")

(include loop)
