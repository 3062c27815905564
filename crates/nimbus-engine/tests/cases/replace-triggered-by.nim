;; `replace-triggered-by`: a resource is replaced when the instance it
;; names is updated or replaced, or when the attribute it names changes;
;; the plan says why. With `count`, `count-index` picks the matching
;; instance; a whole block with `count` triggers when any instance is
;; updated or replaced. As in Terraform, an instance being created
;; triggers nothing.
;; ---- apply
(resource terraform-data "config"
  (input "v1"))

(resource terraform-data "other"
  (input "o1"))

(resource terraform-data "server"
  (input "s")
  (lifecycle (replace-triggered-by (ref terraform-data "config"))))

(resource terraform-data "by-attribute"
  (input "b")
  (lifecycle (replace-triggered-by (ref terraform-data "other" "input"))))

(resource terraform-data "shard"
  (count 2)
  (input (count-index)))

(resource terraform-data "worker"
  (count 2)
  (input (count-index))
  (lifecycle (replace-triggered-by (ref terraform-data "shard" count-index))))
;; ---- apply
(resource terraform-data "config"
  (input "v2"))

(resource terraform-data "other"
  (input "o1"))

(resource terraform-data "server"
  (input "s")
  (lifecycle (replace-triggered-by (ref terraform-data "config"))))

(resource terraform-data "by-attribute"
  (input "b")
  (lifecycle (replace-triggered-by (ref terraform-data "other" "input"))))

(resource terraform-data "shard"
  (count 2)
  (input (if (= (count-index) 1) 100 (count-index))))

(resource terraform-data "worker"
  (count 2)
  (input (count-index))
  (lifecycle (replace-triggered-by (ref terraform-data "shard" count-index))))
;; ---- apply
(resource terraform-data "config"
  (input "v2"))

(resource terraform-data "other"
  (input "o2"))

(resource terraform-data "server"
  (input "s")
  (lifecycle (replace-triggered-by (ref terraform-data "config"))))

(resource terraform-data "by-attribute"
  (input "b")
  (lifecycle (replace-triggered-by (ref terraform-data "other" "input"))))

(resource terraform-data "shard"
  (count 2)
  (input (if (= (count-index) 1) 100 (count-index))))

(resource terraform-data "worker"
  (count 2)
  (input (count-index))
  (lifecycle (replace-triggered-by (ref terraform-data "shard" count-index))))
;; ---- save-plan
(resource terraform-data "config"
  (input "v3"))

(resource terraform-data "other"
  (input "o2"))

(resource terraform-data "server"
  (input "s")
  (lifecycle (replace-triggered-by (ref terraform-data "config"))))

(resource terraform-data "by-attribute"
  (input "b")
  (lifecycle (replace-triggered-by (ref terraform-data "other" "input"))))

(resource terraform-data "shard"
  (count 2)
  (input (if (= (count-index) 1) 100 (count-index))))

(resource terraform-data "worker"
  (count 2)
  (input (count-index))
  (lifecycle (replace-triggered-by (ref terraform-data "shard" count-index))))
;; ---- apply-saved
;; ---- apply
(resource terraform-data "config"
  (input "v3"))

(resource terraform-data "other"
  (input "o2"))

(resource terraform-data "server"
  (input "s")
  (lifecycle (replace-triggered-by (ref terraform-data "config"))))

(resource terraform-data "by-attribute"
  (input "b")
  (lifecycle (replace-triggered-by (ref terraform-data "other" "input"))))

(resource terraform-data "shard"
  (count 2)
  (input (if (= (count-index) 1) 100 (count-index))))

(resource terraform-data "worker"
  (count 2)
  (input (count-index))
  (lifecycle (replace-triggered-by (ref terraform-data "shard" count-index))))

(resource terraform-data "watcher"
  (input "w")
  (lifecycle (replace-triggered-by (ref terraform-data "shard"))))
;; ---- apply
(resource terraform-data "config"
  (input "v3"))

(resource terraform-data "other"
  (input "o2"))

(resource terraform-data "server"
  (input "s")
  (lifecycle (replace-triggered-by (ref terraform-data "config"))))

(resource terraform-data "by-attribute"
  (input "b")
  (lifecycle (replace-triggered-by (ref terraform-data "other" "input"))))

(resource terraform-data "shard"
  (count 3)
  (input (if (= (count-index) 1) 100 (count-index))))

(resource terraform-data "worker"
  (count 2)
  (input (count-index))
  (lifecycle (replace-triggered-by (ref terraform-data "shard" count-index))))

(resource terraform-data "watcher"
  (input "w")
  (lifecycle (replace-triggered-by (ref terraform-data "shard"))))
;; ---- apply
(resource terraform-data "config"
  (input "v3"))

(resource terraform-data "other"
  (input "o2"))

(resource terraform-data "server"
  (input "s")
  (lifecycle (replace-triggered-by (ref terraform-data "config"))))

(resource terraform-data "by-attribute"
  (input "b")
  (lifecycle (replace-triggered-by (ref terraform-data "other" "input"))))

(resource terraform-data "shard"
  (count 3)
  (input (if (= (count-index) 1) 100 (+ 10 (count-index)))))

(resource terraform-data "worker"
  (count 2)
  (input (count-index))
  (lifecycle (replace-triggered-by (ref terraform-data "shard" count-index))))

(resource terraform-data "watcher"
  (input "w")
  (lifecycle (replace-triggered-by (ref terraform-data "shard"))))
