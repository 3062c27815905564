;; Module inputs: a missing required one, an unknown one, a wrong type, a
;; failed validation.
(use-module "./modules/network.nim")

(include network "missing")

(include network "unknown"
  (cidr "10.0.0.0/16")
  (name "x")
  (subnet-cout 3))

(include network "wrong-type"
  (cidr "10.0.0.0/16")
  (name "x")
  (subnet-count "three"))

(include network "invalid"
  (cidr "10.0.0.0/24")
  (name "x"))
