;; A use no rule matches, and a use nested too deep.
(define-syntax two (syntax-rules () ((_ a b) (list a b))))
(define-syntax forever (syntax-rules () ((_ x) (forever (x)))))

(locals (a (two 1)))
(locals (b (forever 1)))
(locals (c (two 1 2)))
