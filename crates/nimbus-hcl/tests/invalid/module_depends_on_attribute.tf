# expect: 4:17 `depends_on` names whole resources or data sources
module "site" {
  source     = "./site"
  depends_on = [aws_s3_bucket.logs.arn]
}
