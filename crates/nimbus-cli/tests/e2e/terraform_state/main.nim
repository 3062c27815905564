;; The configuration of main.tf beside this file, in .nim, with Terraform's
;; own null provider (a plugin).
(provider null (source "hashicorp/null") (version "2.1.2"))

(define-variables
  (n (type number) (default 2)))

(resource null_resource "one"
  (triggers (a "x")))

(resource null_resource "many"
  (count (var n))
  (triggers
    (i (to-string count-index))
    (dep (ref null_resource "one" "id"))))

(resource null_resource "keyed"
  (for-each (to-set (list "a" "b.c" "x[\"y\"]")))
  (triggers (k each-key)))

(output "ids"
  (value (ref null_resource "many" * "id")))
