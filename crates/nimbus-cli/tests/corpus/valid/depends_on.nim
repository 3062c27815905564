;; depends-on: (ref TYPE "NAME"), (TYPE "NAME"), data sources, several at once.
(resource null-resource "first")

(resource null-resource "second"
  (depends-on (ref null-resource "first")))

(data local-file "settings"
  (filename "main.nim"))

(resource null-resource "third"
  (depends-on (null-resource "first")
              (ref null-resource "second")
              (ref data local-file "settings")))

(resource null-resource "fan-out"
  (count 2)
  (depends-on (ref null-resource "third")))
