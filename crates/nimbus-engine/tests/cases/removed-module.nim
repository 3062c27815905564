;; A `removed` block naming a module call forgets everything in every
;; instance of it; an `import` left out by `--target` is not planned.
;; ---- file m/main.nim
(resource terraform-data "inside" (input "i"))
;; ---- apply
(use-module m "./m")
(include m "old" (count 2))
(resource terraform-data "root" (input "r"))
;; ---- plan --target terraform-data.root
(resource terraform-data "root" (input "r"))
(resource terraform-data "other")
(import (to terraform-data.other) (id "x"))
(removed (from module.old) (destroy #f))
;; ---- apply
;; ---- history resource.import
