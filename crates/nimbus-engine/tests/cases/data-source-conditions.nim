;; A data source's precondition is checked before it is read, and its
;; postcondition on what was read (`self`), both while planning when the
;; values are known: a false one fails the plan.
;; ---- file motd.txt
hello
;; ---- plan
(data local-file "motd"
  (filename "motd.txt")
  (lifecycle
    (precondition (ends-with "motd.txt" ".txt") "a text file")
    (postcondition (= (get self "content") "") "the message of the day must be empty")))
;; ---- plan
(data local-file "motd"
  (filename "motd.txt")
  (lifecycle
    (precondition (ends-with "motd.txt" ".md") "a markdown file")))
;; ---- plan
(data local-file "motd"
  (filename "motd.txt")
  (lifecycle
    (postcondition (starts-with (get self "content") "hello") "a greeting")))
