;; Arithmetic and numeric functions.
(locals
  (numbers (map
             (sum (+ 1 2 3))
             (difference (- 10 4 1))
             (negate (- 5))
             (product (* 2 3 4))
             (quotient (/ 10 4))
             (exact (/ 12 3))
             (remainder (% 10 3))
             (mod (mod -7 3))
             (abs (abs -4))
             (ceil (ceil 1.2))
             (floor (floor 1.8))
             (log (log 8 2))
             (pow (pow 2 10))
             (signum (signum -3))
             (max (max 1 9 4))
             (min (min (list 5 2 8)))
             (sum-list (sum (list 1 2 3.5)))
             (parse-int (parse-int "ff" 16))
             (to-number (to-number "3.25"))
             (big 123456789012345678901234567890))))

(resource terraform-data "numbers"
  (input (local numbers)))
