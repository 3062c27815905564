(resource lambda-function "worker" ; the worker
  (runtime "python3.12") ; keep in sync with CI
  (memory 512)   ;   MiB
  (timeout 30))  ; seconds
(locals ; helpers
  (prefix "nimbus")) ; done
(a ; after head
 b c)
