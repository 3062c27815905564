;; A module path that does not exist.
(use-module "./modules/nowhere.nim")
(use-module vpc "./modules/vpc")
(use-module 42)

(include nowhere)
