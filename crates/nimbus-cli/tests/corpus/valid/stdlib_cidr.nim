;; CIDR math.
(define-variables
  (vpc-cidr (type string) (default "10.20.0.0/16")))

(locals
  (subnets (cidr-subnets (var vpc-cidr) 8 8 4))
  (network (map
             (subnet (cidr-subnet (var vpc-cidr) 8 2))
             (host (cidr-host (var vpc-cidr) 5))
             (last-host (cidr-host "192.168.1.0/24" -2))
             (netmask (cidr-netmask (var vpc-cidr)))
             (v6 (cidr-subnet "fd00::/48" 16 1)))))

(resource terraform-data "subnet"
  (count (length (local subnets)))
  (input (element (local subnets) count-index)))

(resource terraform-data "network"
  (input (local network)))
