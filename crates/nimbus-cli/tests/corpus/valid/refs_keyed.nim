;; References to instances of a for-each resource: by key, by each-key.
(locals
  (environments (map (dev "10.0.0.0/16") (prod "10.1.0.0/16"))))

(resource terraform-data "network"
  (for-each (local environments))
  (input (map (cidr each-value) (name each-key))))

(resource null-resource "peer"
  (for-each (local environments))
  (triggers (network (ref terraform-data "network" each-key "id"))
            (prod (ref terraform-data "network" "prod" "id"))))

(output "prod-input"
  (value (ref terraform-data "network" "prod" "input" "cidr")))
