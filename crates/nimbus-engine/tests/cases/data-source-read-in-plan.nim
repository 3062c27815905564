;; A data source whose configuration is known and whose dependencies have
;; no change pending is read while planning: its values are in the plan.
;; When the file changes outside Nimbus, the next plan sees the new content.
;; ---- file settings/region.txt
eu-west-1
;; ---- apply
(data local-file "region"
  (filename "settings/region.txt"))

(resource terraform-data "deployment"
  (input (trim (ref data local-file "region" "content"))))

(output "region"
  (value (ref data local-file "region" "content")))
;; ---- file settings/region.txt
us-east-2
;; ---- plan
