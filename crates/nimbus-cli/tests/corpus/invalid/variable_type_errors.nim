;; Values that do not convert to the variable's type.
(define-variables
  (count (type number) (default "many"))
  (enabled (type bool) (default "yes"))
  (zones (type (list string)) (default "a"))
  (ports (type (map number)) (default (map (http "eighty"))))
  (service (type (object (name string) (port number)))
    (default (map (name "web") (port 80) (extra #t))))
  (names (type (list string)) (default (list "a" (list "b")))))
