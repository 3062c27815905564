# The PostgreSQL backend: `pg` becomes `postgres`, its settings renamed.
terraform {
  backend "pg" {
    conn_str    = "postgres://nimbus@db.example.com:5432/infra?sslmode=require"
    schema_name = "team_a"
    # Terraform's own switches have no use in Nimbus: warnings.
    skip_schema_creation = true
  }
}
