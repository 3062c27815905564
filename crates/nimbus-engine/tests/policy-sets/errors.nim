;; Mistakes in `use-policies` are errors at load, at their location.
(use-policies aws-basline)
(use-policies aws-baseline
  (rule "s3-versionning" (enforcement advisory))
  (rule "s3-encryption" advisory)
  (required-tags)
  (levels x))
;; ---- changes
{"changes": []}
