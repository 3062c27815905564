;; Comparisons and logic.
(locals
  (checks (map
            (eq (= 2 2.0))
            (ne (!= "a" "b"))
            (lt (< 1 2 3))
            (le (<= 1 1 2))
            (gt (> "b" "a"))
            (ge (>= 3 3))
            (not (not #f))
            (deep (= (list 1 (map (a 2))) (list 1 (map (a 2))))))))

(resource terraform-data "checks"
  (input (local checks)))
