;; Random bytes are chosen once and kept; a change of `keepers` replaces
;; the random-id, and whatever is built from it follows.
;; ---- apply
(resource random-id "suffix"
  (byte-length 8)
  (keepers (generation "1")))

(resource local-file "named"
  (filename "name.txt")
  (content (format "bucket-~a" (ref random-id "suffix" "hex"))))

(output "name"
  (value (ref local-file "named" "content")))
;; ---- plan
;; ---- apply
(resource random-id "suffix"
  (byte-length 8)
  (keepers (generation "2")))

(resource local-file "named"
  (filename "name.txt")
  (content (format "bucket-~a" (ref random-id "suffix" "hex"))))

(output "name"
  (value (ref local-file "named" "content")))
