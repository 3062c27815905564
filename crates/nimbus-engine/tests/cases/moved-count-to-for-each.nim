;; Instances move one by one: a block that gains `count` keeps its object
;; as `[0]`, and `count` instances become `for-each` keys without being
;; replaced (compare count-to-for-each.nim).
;; ---- apply
(resource terraform-data "single" (input "s"))
(resource terraform-data "node" (count 2) (input "n"))
;; ---- apply
(resource terraform-data "single" (count 1) (input "s"))
(resource terraform-data "node" (for-each (list "a" "b")) (input "n"))
(moved (from terraform-data.single) (to terraform-data.single[0]))
(moved (from terraform-data.node[0]) (to "terraform-data.node[\"a\"]"))
(moved (from (ref terraform-data "node" 1)) (to (ref terraform-data "node" "b")))
;; ---- history resource.move
