;; module-output must name a module instance and one of its outputs.
(use-module "./modules/label.nim")

(include label (text "x"))

(resource null-resource "a"
  (triggers (v (module-output label "valeu"))))

(resource null-resource "b"
  (triggers (v (module-output labl "value"))))
