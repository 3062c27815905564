;; and/or short-circuit; unknown operands stay unknown unless decided.
(define-variables
  (enabled (type bool) (default #t))
  (debug (type bool) (default #f)))

(resource random-id "id"
  (byte-length 4))

(locals
  (both (and (var enabled) (not (var debug))))
  (either (or (var debug) (var enabled)))
  (empty-and (and))
  (empty-or (or))
  ;; Decided by the known #f, whatever the unknown value is.
  (decided (and #f (= (ref random-id "id" "hex") "x")))
  (undecided (or #f (= (ref random-id "id" "hex") "x"))))

(resource terraform-data "logic"
  (input (map (both (local both)) (either (local either))
              (empty-and (local empty-and)) (empty-or (local empty-or))
              (decided (local decided)) (undecided (local undecided)))))
