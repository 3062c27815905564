; Quasiquote, case, letrec, optional and rest parameters, begin.
(define-variables (port (default 8080)) (extra (default (list "-v"))))

(define (rule port (protocol "tcp") . notes)
  `(map (from ,port) (to ,port) (protocol ,protocol) (notes (,@notes))))

(begin
  (locals
    (args `("--port" ,(var port) ,@(var extra)))
    (rules (map rule (list 80 443)))
    (kind (case (var port) ((80 8080) "http") ((443) "https") (else "other")))
    (parity (letrec ((ev (lambda (n) (if (= n 0) #t (od (- n 1)))))
                     (od (lambda (n) (if (= n 0) #f (ev (- n 1))))))
              (list (ev 10) (od 7))))))
