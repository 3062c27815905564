;; `count` 0 removes every instance, a block with no instance references
;; as an empty list, and raising it again creates them anew.
;; ---- apply
(resource local-file "shard"
  (count 2)
  (filename (format "shards/~a.txt" count-index))
  (content (format "shard ~a" count-index)))

(output "shard-files"
  (value (ref local-file "shard" * "filename")))
;; ---- apply
(resource local-file "shard"
  (count 0)
  (filename (format "shards/~a.txt" count-index))
  (content (format "shard ~a" count-index)))

(output "shard-files"
  (value (ref local-file "shard" * "filename")))
;; ---- apply
(resource local-file "shard"
  (count 1)
  (filename (format "shards/~a.txt" count-index))
  (content (format "shard ~a" count-index)))

(output "shard-files"
  (value (ref local-file "shard" * "filename")))
