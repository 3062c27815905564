;; Every backend error is located; a backend with an error is left out.
(backend gcs (bucket "x"))

(backend postgres
  (url "postgres://admin:hunter2@db.example.com/infra")
  (schema "bad-schema"))

(backend postgres (url (var database-url)))

(backend postgres (schema "information_schema"))

(backend postgres (schema "Team"))

(backend postgres (url "postgres://u@db/x?sslpassword=hunter2"))

(backend s3 (buket "acme") (key "/state/"))

(backend s3 (bucket "Not_A_Bucket") (key "k") (lock dynamo))

(backend s3 (bucket "b12") (key "k") (lock lockfile) (dynamodb-table "t"))

(backend s3 (bucket "b12") (key "k") (lock dynamodb) (encrypt "yes"))

(backend s3 (bucket "b12") (key "k") (endpoint "localhost:4566") (access-key "AKIA"))

(backend local (path ""))

(backend)

(backend local (pth "x") (path "a" "b"))
