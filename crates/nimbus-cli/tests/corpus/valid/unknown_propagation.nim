;; Values known only after apply flow through every function and form.
(resource random-id "id"
  (byte-length 4))

(locals
  (hex (ref random-id "id" "hex"))
  (derived (map
             (upper (upper (local hex)))
             (format (format "id-~a" (local hex)))
             (in-list (list "known" (local hex)))
             (length (length (list (local hex) (local hex))))
             (if (if (= (local hex) "x") "a" "b"))
             (let (let ((h (local hex))) (sha256 h))))))

(resource terraform-data "derived"
  (input (local derived)))

(resource null-resource "per-byte"
  ;; count known at plan time although the list holds unknowns
  (count (length (list (local hex) (local hex))))
  (triggers (hex (local hex))))
