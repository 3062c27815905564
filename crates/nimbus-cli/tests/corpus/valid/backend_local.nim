;; The local backend, in another directory than `.nimbus`.
(backend local (path "state/.nimbus"))
