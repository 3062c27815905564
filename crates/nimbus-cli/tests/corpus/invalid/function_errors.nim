;; Calls with the wrong number or kinds of arguments.
(locals
  (arity (upper "a" "b"))
  (too-few (join ","))
  (kind (upper (list 42)))
  (divide (/ 10 0))
  (list-kind (join "," (list "a" (list 1))))
  (cidr (cidr-subnet "10.0.0.0/33" 8 1))
  (decode (base64-decode "not base64!"))
  (json (json-decode "{oops"))
  (lookup (lookup (map (a 1)) "b"))
  (range (range 100000)))
