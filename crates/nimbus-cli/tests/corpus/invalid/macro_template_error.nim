;; A wrong attribute written by a macro's template: reported in the
;; template, noting the uses that expand it.
(define-syntax pair
  (syntax-rules ()
    ((_ name copy v)
     (begin
       (resource terraform-data name (input v))
       (resource terraform-data copy (inptu v))))))

(pair "a" "a-copy" 1)
(pair "b" "b-copy" 2)
