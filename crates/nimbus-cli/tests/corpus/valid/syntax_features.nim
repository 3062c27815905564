;; Reader features: comments, booleans, escapes, numbers, symbols or strings
;; as names.
#| A block comment
   #| nested |#
   spanning lines |#
(resource null-resource anchor-symbol-name ; names may be symbols
  (triggers
    (bools (to-string (and #true (not #false) #t (not #f))))
    (escapes "tab\tnewline\nquote\"backslash\\hex\x41;")
    (continued "one \
                line")
    (integer (to-string -42))
    (decimal (to-string 3.5))
    (exponent (to-string 1e3))
    (unicode "héllo wörld ☁")))
