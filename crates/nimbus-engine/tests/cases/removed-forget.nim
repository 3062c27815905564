;; `removed` with `destroy` false forgets the block's objects: dropped
;; from state, left alone (the file stays). With `destroy` true (the
;; default) they are destroyed as any object no longer configured. A
;; `removed` block naming a block still declared is refused.
;; ---- apply
(resource local-file "kept" (filename "kept.txt") (content "k"))
(resource local-file "gone" (count 2) (filename (format "gone-~a.txt" count-index)) (content "g"))
(resource terraform-data "t" (input "t"))
;; ---- plan
(resource local-file "kept" (filename "kept.txt") (content "k"))
(removed (from local-file.kept))
;; ---- apply
(removed (from local-file.kept) (destroy #f))
(removed (from local-file.gone))
(resource terraform-data "t" (input "t"))
;; ---- history resource.delete
