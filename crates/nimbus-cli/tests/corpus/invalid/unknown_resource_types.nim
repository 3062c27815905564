;; Resource and data source types no provider offers.
(resource nul-resource "a")
(resource random-passwrd "b" (length 10))
(resource s3-bucket "c")
(data local-files "d" (filename "x"))
(data random-id "e")
