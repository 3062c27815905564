(resource terraform-data "subnet"
  (count (var subnet-count))
  (input (map (name (format "~a-~a" (var name) count-index))
              (cidr (cidr-subnet (var cidr) 8 count-index)))))

(output "subnets"
  (value (ref terraform-data "subnet" * "input")))
