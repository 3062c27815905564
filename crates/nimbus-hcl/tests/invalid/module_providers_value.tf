# expect: 4:23 expected a provider configuration such as `aws` or `aws.west`
module "site" {
  source    = "./site"
  providers = { aws = "aws.west" }
}
