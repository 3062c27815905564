;; for-each over a list of strings: the strings are the keys, so the
;; order of the list does not matter and a duplicate adds nothing.
;; ---- apply
(resource local-file "page"
  (for-each (list "index" "about"))
  (filename (format "site/~a.html" each-key))
  (content (format "<h1>~a</h1>" each-value)))
;; ---- apply
(resource local-file "page"
  (for-each (list "about" "index" "about"))
  (filename (format "site/~a.html" each-key))
  (content (format "<h1>~a</h1>" each-value)))
;; ---- apply
(resource local-file "page"
  (for-each (list "about" "contact"))
  (filename (format "site/~a.html" each-key))
  (content (format "<h1>~a</h1>" each-value)))
