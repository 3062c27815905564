;; A file deleted outside Nimbus is found gone by the refresh and created
;; again; a file edited outside is replaced, since its content forces a
;; new object.
;; ---- apply
(resource local-file "kept"
  (filename "kept.txt")
  (content "as configured"))

(resource local-file "edited"
  (filename "edited.txt")
  (content "as configured"))
;; ---- rm kept.txt
;; ---- file edited.txt
changed by hand
;; ---- apply
