#| A block comment
   spanning several lines
   before the first form. |#
(resource s3-bucket "logs" #| inline |# (acl "private"))
(locals
  #| own line block |#
  (a 1)
  (b #| between args |# 2)
  #| nested #| comments |# are fine |#
  (c 3))
(x #| trailing block before paren |#)
