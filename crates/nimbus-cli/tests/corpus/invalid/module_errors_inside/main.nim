;; Errors inside a module are reported in the module's file.
(use-module "./modules/broken.nim")

(include broken (name "x"))
