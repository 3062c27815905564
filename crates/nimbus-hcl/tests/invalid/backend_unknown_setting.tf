# expect: 5:5 unknown setting `buckett` of backend `s3`
terraform {
  backend "s3" {
    key     = "k"
    buckett = "b"
  }
}
