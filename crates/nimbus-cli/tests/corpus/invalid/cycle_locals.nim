;; Locals that depend on each other in a cycle: every member is named.
(locals
  (a (format "~a" (local b)))
  (b (upper (local c)))
  (c (lower (local a)))
  (fine "not part of it"))
