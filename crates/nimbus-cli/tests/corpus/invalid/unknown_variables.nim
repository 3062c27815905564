;; References to undeclared variables, locals and bare names.
(define-variables
  (environment (type string) (default "dev"))
  (region (type string) (default "eu-west-1")))

(locals
  (prefix "app"))

(resource null-resource "a"
  (triggers (env (var enviroment))
            (region (var regoin))
            (prefix (local prefx))
            (bare environment)
            (bare-local prefix)
            (typo each-kye)
            (fn upper)))
