;; One module (a directory of .nim files), included twice under instance
;; names, with inputs from variables and resources.
(define-variables
  (base-cidr (type string) (default "10.0.0.0/8")))

(use-module network "./modules/network")

(resource random-id "suffix"
  (byte-length 2))

(include network "east"
  (cidr (cidr-subnet (var base-cidr) 8 1))
  (name (format "east-~a" (ref random-id "suffix" "hex"))))

(include network "west"
  (cidr (cidr-subnet (var base-cidr) 8 2))
  (name "west")
  (subnet-count 3))

(output "subnets"
  (value (map (east (module-output east "subnets"))
              (west (module-output west "subnets")))))
