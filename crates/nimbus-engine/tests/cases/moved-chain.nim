;; Chained `moved` blocks (a to b, then b to c) take an object recorded
;; at `a` to `c`, whatever the order they are written in; the plan shows
;; one move per object, the state one event per step. A saved plan with
;; moves is refused once the state changed; planned again, a tainted
;; object moves and is then replaced. Blocks moving in a circle are
;; refused.
;; ---- apply
(resource terraform-data "a" (input "x"))
;; ---- save-plan
(resource terraform-data "c" (input "x"))
(moved (from terraform-data.b) (to terraform-data.c))
(moved (from terraform-data.a) (to terraform-data.b))
;; ---- taint terraform-data.a
;; ---- apply-saved
;; ---- save-plan
;; ---- apply-saved
;; ---- history resource.move
;; ---- plan
(resource terraform-data "c" (input "x"))
(moved (from terraform-data.x) (to terraform-data.y))
(moved (from terraform-data.y) (to terraform-data.x))
