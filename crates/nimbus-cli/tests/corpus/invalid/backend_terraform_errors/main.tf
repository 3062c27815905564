# A password in the connection string, and settings Nimbus refuses.
terraform {
  backend "pg" {
    conn_str = "postgres://nimbus:s3cret@db.example.com/infra"
  }
}
