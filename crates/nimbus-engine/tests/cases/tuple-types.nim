;; `tuple` types, in a Terraform-language module's variable and a `.nim`
;; variable: a list of as many elements converts element by element; a
;; list of another length, or an element that does not convert, is an
;; error at the value, naming the element.
;; ---- file modules/pair/main.tf
variable "pair" {
  type = tuple([string, number, list(bool)])
}

output "pair" {
  value = var.pair
}
;; ---- apply
(use-module pair "./modules/pair")

(define-variables
  (point (type (tuple number number)) (default (list "1" 2))))

(include pair (pair (list 1 "2" (list "true"))))

(output "pair" (value (module-output pair "pair")))
(output "point" (value (var point)))
;; ---- plan
(use-module pair "./modules/pair")

(include pair (pair (list 1 "two" (list #t))))
;; ---- plan
(use-module pair "./modules/pair")

(define-variables
  (point (type (tuple number number)) (default (list 1 2 3))))

(output "point" (value (var point)))
;; ---- validate
(define-variables
  (point (type (tuple number nmber))))
