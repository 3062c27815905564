;; A map with one secret entry: the attribute holding it is masked as a
;; whole in plans, but a reference to another entry of the configured
;; value reaches it unmarked.
;; ---- apply
(define-variables
  (api-key (type string) (default "K3y-Secret") (sensitive #t)))

(resource terraform-data "settings"
  (input (map (region "eu-west-1") (key (var api-key)))))

(output "region"
  (value (ref terraform-data "settings" "input" "region")))
