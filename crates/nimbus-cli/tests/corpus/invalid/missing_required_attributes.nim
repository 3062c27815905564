;; Required attributes that are not set.
(resource random-id "a")

(resource random-string "b"
  (special #f))

(resource local-file "c"
  (content "no file name"))

(data local-file "d")
