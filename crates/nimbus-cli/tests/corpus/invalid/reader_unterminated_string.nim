;; An unterminated string swallows the rest of the file.
(resource null-resource "a"
  (triggers (name "open)))

(resource null-resource "b")
