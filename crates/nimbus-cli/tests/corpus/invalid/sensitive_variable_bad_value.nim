;; A bad value for a sensitive variable is reported without the value.
;; args: --var pin=Hunter2Pin
(define-variables
  (pin (type number) (sensitive #t)))

(resource null-resource "a"
  (triggers (pin (var pin))))
