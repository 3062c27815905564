(booleans #t #f #true #false)
(symbols + - ... -> a->b set! ok? *global* <=> λ héllo a#b a|b |x| :keyword)
(mixed "s" sym 1 1.5 #t)
(glued"string"after-symbol"another")(next)
