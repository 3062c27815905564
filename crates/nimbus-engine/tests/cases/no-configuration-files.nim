;; A directory whose configuration files are gone is refused, never
;; planned as "destroy everything in state".
;; ---- apply
(resource terraform-data "precious"
  (input "p"))
;; ---- rm main.nim
;; ---- plan
;; ---- apply
