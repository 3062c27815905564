


(first)
(second)



(third)
(define-infrastructure x

  (resource a "one")


  (resource b "two")
  (resource c "three")

  ; comment after a blank line

  (resource d "four")

)
; comment right after a form


; comment after blank lines
(fourth)


