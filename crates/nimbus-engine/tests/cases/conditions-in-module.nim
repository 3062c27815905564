;; Conditions and checks inside a module instance are named with the
;; instance's address: a check's warning, a precondition's error.
;; ---- file modules/site.nim
(define-variables
  (scheme (type string)))

(resource terraform-data "site"
  (input (string-append (var scheme) "://example.com"))
  (lifecycle
    (precondition (contains (list "http" "https") (var scheme)) "the scheme is http or https")))

(check "https"
  (assert (= (var scheme) "https") "the site is not served over https"))
;; ---- apply
(use-module "./modules/site.nim")

(include site (scheme "http"))
;; ---- plan
(use-module "./modules/site.nim")

(include site (scheme "ftp"))
