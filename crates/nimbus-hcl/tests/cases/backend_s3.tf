terraform {
  backend "s3" {
    bucket         = "acme-state"
    key            = "network/terraform.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "acme-locks"
    encrypt        = true
    endpoints = {
      s3       = "http://127.0.0.1:4566"
      dynamodb = "http://127.0.0.1:4566"
    }
    use_path_style = true
  }
}
