# expect: 4:19 `conn_str` must be a literal string
terraform {
  backend "pg" {
    conn_str    = var.database_url
  }
}
