;; env: NIMBUS_VAR_deploy_stage=canary
;; env: NIMBUS_VAR_weights={"a":1,"b":2}
;; Variables from NIMBUS_VAR_<name>, dashes written as underscores.
(define-variables
  (deploy-stage (type string))
  (weights (type (map number))))

(resource terraform-data "stage"
  (input (map (stage (var deploy-stage)) (total (sum (values (var weights)))))))
