;; `destroy --target` deletes the target and everything depending on it,
;; and leaves the rest; `--exclude` keeps an object and what it needs.
;; ---- apply
(resource terraform-data "base"
  (input "base"))

(resource terraform-data "dependent"
  (input (ref terraform-data "base" "output")))

(resource terraform-data "independent"
  (input "i"))

(resource terraform-data "other"
  (input "o"))
;; ---- plan-destroy --target terraform-data.base
;; ---- destroy --target terraform-data.base
;; ---- destroy --exclude terraform-data.other
