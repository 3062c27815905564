(a 1)
#| this comment never ends
   #| nested |#
(b 2)
