;; A cycle through a local, a resource and an output-free chain.
(locals
  (name (format "n-~a" (ref random-id "id" "hex"))))

(resource random-id "id"
  (byte-length 2)
  (keepers (name (local name))))
