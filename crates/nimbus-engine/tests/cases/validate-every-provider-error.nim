;; `validate` reports every problem a provider finds in a configuration,
;; each at its attribute, not only the first; a valid block says nothing.
;; ---- validate
(resource random-string "bad"
  (length 0)
  (min-upper -1)
  (override-special ""))

(resource random-id "also-bad"
  (byte-length 0))

(resource terraform-data "fine"
  (input "x"))
;; ---- validate
(resource terraform-data "fine"
  (input "x"))
