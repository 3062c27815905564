(a) ; first
(b)
; detached comment at the end of the file
