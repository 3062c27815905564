;; 300 instances that all fail to create (the tests set
;; NIMBUS_BUILTIN_FAULT_INPUT=explode).
(define-infrastructure all-fail
  (resource terraform-data "bad"
    (count 300)
    (input "explode")))
