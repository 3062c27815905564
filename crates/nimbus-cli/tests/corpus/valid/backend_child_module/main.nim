;; A child module's backend is ignored, with a warning (as in Terraform):
;; only the root module chooses where state is kept.
(backend s3 (bucket "root-state") (key "root") (lock lockfile))

(use-module "./modules/child.nim")

(include child)
