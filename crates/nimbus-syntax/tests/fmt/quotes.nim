'symbol
'(a list of things)
(quote x)
(quote (a b))
(quote)
(quote a b)
(tags '(a b c) ''nested)
' spaced
'(resource s3-bucket "a-quoted-resource-with-a-long-name" (tags (a 1) (b 2) (c 3) (d 4)))
'; a comment inside the quote
x
(quote ; trailing head comment
  y)
