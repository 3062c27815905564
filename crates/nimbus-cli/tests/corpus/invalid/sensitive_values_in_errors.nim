;; Errors about sensitive values never quote them: not the value of a
;; sensitive variable used where a number is expected, not the keys of a
;; sensitive map, not a sensitive index.
(define-variables
  (db-password (type string) (default "Hunter2Secret") (sensitive #t))
  (limits (type (map string)) (default (map (Hunter2Key "x"))) (sensitive #t))
  (secret-index (type number) (default 7) (sensitive #t)))

(resource random-string "from-password"
  (length (var db-password)))

(resource terraform-data "by-index"
  (count 2)
  (input (var limits)))

(resource terraform-data "secret-index"
  (input (ref terraform-data "by-index" (var secret-index) "input")))

(resource terraform-data "secret-key"
  (input (ref terraform-data "by-index" 0 "input" "Hunter2Ky")))
