(flags #t #f #yes #nil #(1 2) #\a #;(skipped) #)
