;; `count` growth creates the new indexes only; shrinking deletes the
;; highest ones; an output collects every instance with `*`.
;; ---- apply
(resource terraform-data "worker"
  (count 2)
  (input (format "worker-~a" count-index)))

(output "workers"
  (value (ref terraform-data "worker" * "output")))
;; ---- apply
(resource terraform-data "worker"
  (count 4)
  (input (format "worker-~a" count-index)))

(output "workers"
  (value (ref terraform-data "worker" * "output")))
;; ---- apply
(resource terraform-data "worker"
  (count 1)
  (input (format "worker-~a" count-index)))

(output "workers"
  (value (ref terraform-data "worker" * "output")))
