(a (b (c (d (e (f (g (h (i (j (k (l (m (n (o (p (q (r (s (t (u (v (w (x (y (z "a string long enough to force every level onto its own line because it is long"))))))))))))))))))))))))))
