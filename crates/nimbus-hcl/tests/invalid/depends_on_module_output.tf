# expect: 4:17 `depends_on` names a whole module call, e.g. `module.network`
resource "aws_s3_bucket" "b" {
  bucket     = "b"
  depends_on = [module.network.id]
}
