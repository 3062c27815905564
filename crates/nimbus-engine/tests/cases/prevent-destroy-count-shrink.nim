;; prevent-destroy protects every instance of its block: lowering `count`
;; would destroy instance 2, so the plan is refused and state keeps all
;; three.
;; ---- apply
(resource terraform-data "replica"
  (count 3)
  (input (format "replica-~a" count-index))
  (lifecycle (prevent-destroy #t)))
;; ---- apply
(resource terraform-data "replica"
  (count 2)
  (input (format "replica-~a" count-index))
  (lifecycle (prevent-destroy #t)))
