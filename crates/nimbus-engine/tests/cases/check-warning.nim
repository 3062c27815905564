;; A failing `check` assertion is a warning at the end of plan and apply,
;; never an error: the apply completes. An assertion that depends on
;; values not known yet is reported as such in the plan and checked at
;; apply; when what it depends on fails to apply, it stays unknown.
;; ---- apply
(resource terraform-data "site"
  (input "http://example.com"))

(check "https-only"
  (assert (starts-with (ref terraform-data "site" "output") "https://")
    (string-append "the site " (ref terraform-data "site" "output") " is not served over https"))
  (assert (= 1 1) "always true"))

(check "id-length"
  (assert (= (length (ref terraform-data "site" "id")) 36) "ids are uuids"))
;; ---- plan
;; ---- apply
(resource terraform-data "site"
  (input "explode"))

(check "https-only"
  (assert (starts-with (ref terraform-data "site" "output") "https://") "not https"))
