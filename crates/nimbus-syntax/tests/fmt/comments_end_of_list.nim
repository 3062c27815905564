(define-infrastructure dev
  (resource s3-bucket "a")
  ; TODO: add the queue
  )
(locals
  (a 1) ; last item with a trailing comment
  )
(empty ; nothing but a comment
)
(also-empty
  ; only an own-line comment
  )
(deep (deeper (deepest x ; end
)))
