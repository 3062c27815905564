;; ignore-changes of one attribute: edits to `input` are ignored (no
;; change planned, the recorded value stays), while a change of another
;; attribute still acts, and keeps the ignored attribute as recorded.
;; ---- apply
(resource terraform-data "app"
  (input "original")
  (triggers-replace "1")
  (lifecycle (ignore-changes input)))
;; ---- apply
(resource terraform-data "app"
  (input "edited")
  (triggers-replace "1")
  (lifecycle (ignore-changes input)))
;; ---- apply
(resource terraform-data "app"
  (input "edited")
  (triggers-replace "2")
  (lifecycle (ignore-changes input)))
