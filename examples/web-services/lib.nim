;; Functions the services share. Definitions belong to the module, so
;; every file of this directory can call them. A definition reads only
;; its parameters and other definitions (no variables), so a call shows
;; everything its value depends on.

;; Tags every object of a service carries.
(define (service-tags prefix service)
  (map (project prefix) (service service) (managed-by "nimbus")))

;; A name unique to the stack: PREFIX-SERVICE-PART.
(define (service-name prefix service part)
  (format "~a-~a-~a" prefix service part))

;; The role's trust policy: Lambda may assume it.
(define lambda-trust
  (json-encode
    (map (Version "2012-10-17")
      (Statement
        (list (map (Effect "Allow")
                (Principal (map (Service "lambda.amazonaws.com")))
                (Action "sts:AssumeRole")))))))

;; Read access to one bucket and its objects.
(define (read-bucket arn)
  (json-encode
    (map (Version "2012-10-17")
      (Statement
        (list (map (Effect "Allow")
                (Action (list "s3:GetObject" "s3:ListBucket"))
                (Resource (list arn (format "~a/*" arn)))))))))
