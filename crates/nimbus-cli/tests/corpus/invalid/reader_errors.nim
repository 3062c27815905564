;; Several reader errors in one file: every one is reported.
(resource null-resource "a"
  (triggers (flag #maybe)))
(resource null-resource "b"
  (triggers (text "bad \q escape") (hex "\xZZ;")))
(resource null-resource "c"))
(resource null-resource "d"
  (triggers (n 12abc) (m 99999999999999999999999999999999999999999)))
(output "o" (value 'x ')
(resource null-resource "e"
