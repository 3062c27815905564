(resource ec2-instance "web"
  (tags (Name "web-server") (Environment (var environment)) (Team "platform") (CostCenter "cc-1234"))
  (ebs (root (size 100) (type "gp3") (encrypted #t) (iops 3000) (throughput 125) (delete-on-termination #t)))
  (metadata (labels (app "web") (tier "frontend")) (annotations (owner "platform-team@example.com"))))
(locals (m (a (b (c (d (e (f (g (h (i (j (k (l (m (n (o (p (q (r (s (t (u (v (w (x (y (z 26))))))))))))))))))))))))))))
