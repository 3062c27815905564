;; for-each over a map: each-key is the key, each-value the value.
(define-variables
  (buckets (type (map (object (versioned bool) (region string))))
    (default (map
               (logs (map (versioned #f) (region "eu-west-1")))
               (assets (map (versioned #t) (region "us-east-1")))))))

(resource terraform-data "bucket"
  (for-each (var buckets))
  (input (map
           (name each-key)
           (region (lookup each-value "region"))
           (versioned (lookup each-value "versioned")))))

(output "bucket-ids"
  (value (ref terraform-data "bucket" * "id")))
