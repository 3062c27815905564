;; One backend per root module: the second is an error naming the first.
(backend local)

(backend postgres (url "postgres://nimbus@127.0.0.1/db"))
