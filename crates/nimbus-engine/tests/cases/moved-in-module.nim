;; A `moved` block written in a module speaks of that module's addresses
;; and acts in every instance of it; a `removed` block there forgets in
;; every instance too.
;; ---- file m/main.nim
(resource terraform-data "old" (input "o"))
(resource terraform-data "dropped" (input "d"))
;; ---- apply
(use-module m "./m")
(include m "site" (for-each (list "a" "b")))
;; ---- file m/main.nim
(resource terraform-data "new" (input "o"))
(moved (from terraform-data.old) (to terraform-data.new))
(removed (from terraform-data.dropped) (destroy #f))
;; ---- apply
;; ---- plan
;; ---- file m/main.nim
(resource terraform-data "new" (input "o"))
(resource terraform-data "old" (input "o"))
(moved (from terraform-data.old) (to terraform-data.new))
;; ---- validate
