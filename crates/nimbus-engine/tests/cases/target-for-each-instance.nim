;; `--target` of one key of a for-each block.
;; ---- apply --target terraform-data.site["blue"]
(resource terraform-data "site"
  (for-each (map (blue "b") (green "g")))
  (input each-value))
;; ---- apply
