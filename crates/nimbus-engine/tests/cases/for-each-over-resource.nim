;; `for-each` over a resource with `for-each`: its keys are known at plan
;; though its objects are not (Terraform's rule: a map's keys must be
;; known, its values need not be); each instance's `each-value` is then
;; known after apply. A list with an unknown element is still refused.
;; ---- apply
(resource random-id "suffix"
  (for-each (to-set (list "a" "b")))
  (byte-length 2))

(resource terraform-data "svc"
  (for-each (ref random-id "suffix"))
  (input (string-append each-key "-" (get each-value "hex"))))
;; ---- plan
(resource random-id "suffix"
  (for-each (to-set (list "a" "b")))
  (byte-length 2))

(resource random-id "extra"
  (byte-length 2))

(resource terraform-data "svc"
  (for-each (ref random-id "suffix"))
  (input (string-append each-key "-" (get each-value "hex"))))

(resource terraform-data "by-id"
  (for-each (to-set (list (ref random-id "extra" "hex"))))
  (input each-key))
