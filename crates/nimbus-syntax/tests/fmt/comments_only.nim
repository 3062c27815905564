

   ; just a comment
      ;; and another, indented



#| and a block |#   ; with a trailing line comment
