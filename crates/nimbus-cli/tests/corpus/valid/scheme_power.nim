;; Macros write resources; quasiquote, case, letrec and optional and rest
;; parameters build their values; a macro's ref is a dependency like a
;; written one.
(define-variables
  (env (type string) (default "prod"))
  (ports (type (list number)) (default (list 80 443))))

(define-syntax service
  (syntax-rules (ports)
    ((_ name check (ports p ...) (tag value) ...)
     (begin
       (resource terraform-data name
         (input `(map (name ,name) (ports (,p ...)) (tags (map (tag value) ...)))))
       (resource terraform-data check
         (input (ref terraform-data name "output")))))))

(define (label name (suffix "svc") . parts)
  (join "-" `(,name ,suffix ,@parts)))

(service "web" "web-check" (ports 80 443) (team "platform") (tier "front"))
(service "api" "api-check" (ports 8080))

(locals
  (kind (case (var env) (("prod" "staging") "live") (else "scratch")))
  (even (letrec ((ev (lambda (n) (if (= n 0) #t (od (- n 1)))))
                 (od (lambda (n) (if (= n 0) #f (ev (- n 1))))))
          (map ev (list 1 2 3))))
  (names (list (label "web") (label "api" "svc" "v2" "blue"))))

(output "summary"
  (value `(map (kind ,(local kind)) (even ,(local even)) (names ,(local names)))))
