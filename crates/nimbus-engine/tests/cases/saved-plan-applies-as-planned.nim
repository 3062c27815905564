;; A saved plan of an unchanged configuration applies exactly what it
;; planned, including values unknown when it was made.
;; ---- save-plan
(resource random-id "suffix"
  (byte-length 8))

(resource terraform-data "named"
  (input (format "app-~a" (ref random-id "suffix" "hex"))))

(output "name"
  (value (ref terraform-data "named" "output")))
;; ---- apply-saved
;; ---- plan
;; (nothing left to do)
