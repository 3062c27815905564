;; State in PostgreSQL. The URL holds no password (PGPASSWORD does); with
;; `url` left out it is read from NIMBUS_PG_URL, then PG_CONN_STR.
(backend postgres
  (url "postgres://nimbus@db.example.com:5432/infra?sslmode=require")
  (schema "team_a"))

(resource null_resource "a")
