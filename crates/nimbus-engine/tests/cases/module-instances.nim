;; One module included twice: the instances are independent, an edit of
;; one instance's input changes only that instance, and removing an
;; include deletes that instance's objects.
;; ---- file modules/bucket/main.nim
(define-variables
  (name (type string)))

(resource terraform-data "bucket"
  (input (var name)))

(resource local-file "marker"
  (filename (format "buckets/~a.txt" (var name)))
  (content (ref terraform-data "bucket" "output")))

(output "file"
  (value (ref local-file "marker" "filename")))
;; ---- apply
(use-module bucket "./modules/bucket")

(include bucket "logs" (name "logs"))

(include bucket "data" (name "data"))

(output "files"
  (value (list (module-output logs "file") (module-output data "file"))))
;; ---- apply
(use-module bucket "./modules/bucket")

(include bucket "logs" (name "logs-v2"))

(include bucket "data" (name "data"))

(output "files"
  (value (list (module-output logs "file") (module-output data "file"))))
;; ---- apply --target module.data
;; ---- apply
(use-module bucket "./modules/bucket")

(include bucket "data" (name "data"))

(output "files"
  (value (list (module-output data "file"))))
;; ---- destroy
