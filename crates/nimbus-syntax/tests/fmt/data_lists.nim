("us-east-1" "us-east-2" "us-west-1" "us-west-2" "eu-west-1" "eu-central-1" "ap-south-1")
((key "a") (value "alpha") (description "the first letter of the greek alphabet"))
(allowed-cidrs ("10.0.0.0/8" "172.16.0.0/12" "192.168.0.0/16" "100.64.0.0/10" "fd00::/8"))
(1 2 3)
