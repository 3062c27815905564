;; A saved plan holds what `template-file` rendered: the template edited
;; between `plan -out` and `apply PLANFILE` makes the configuration give
;; other values, and the saved plan is refused with nothing applied; a
;; sensitive variable passed to the template keeps the result sensitive.
;; ---- file t.tpl
n=${n}
;; ---- save-plan
(define-variables (n (type number) (default 2) (sensitive #t)))

(resource terraform-data "a"
  (input (template-file "t.tpl" (map (n (var n))))))
;; ---- file t.tpl
n=${n}!
;; ---- apply-saved
