# expect: 4:15 `providers` is a map of provider configurations
module "site" {
  source    = "./site"
  providers = [aws.west]
}
