;; References to instances of a counted resource: by literal index, by a
;; computed index, by count-index, and the whole list.
(resource random-id "shard"
  (count 3)
  (byte-length 2))

(resource null-resource "follower"
  (count 3)
  (triggers (leader (ref random-id "shard" 0 "hex"))
            (mine (ref random-id "shard" count-index "hex"))
            (last (ref random-id "shard" (- (length (ref random-id "shard")) 1) "hex"))))

(output "first-shard"
  (value (ref random-id "shard" 0 "id")))

(output "all-shards"
  (value (ref random-id "shard")))
