;; quote turns a datum into data: symbols become strings.
(locals
  (quoted-list '(a b "c"))
  (quoted-data '(1 #t (nested list)))
  (quoted-symbol 'hello)
  (long-form (quote (x (y z))))
  (joined (join "," (local quoted-list))))

(resource terraform-data "quoted"
  (input (map (list (local quoted-list)) (data (local quoted-data)) (symbol (local quoted-symbol))
              (nested (local long-form)) (joined (local joined)))))
