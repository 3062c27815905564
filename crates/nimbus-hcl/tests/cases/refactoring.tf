# Terraform's refactoring and import blocks.
moved {
  from = null_resource.a
  to   = null_resource.b
}

moved {
  from = random_id.one
  to   = random_id.one[0]
}

moved {
  from = random_id.many[0]
  to   = random_id.many["first"]
}

moved {
  from = module.old
  to   = module.new["x"]
}

moved {
  from = terraform_data.t
  to   = module.inner.module.deeper[2].terraform_data.t
}

removed {
  from = null_resource.gone

  lifecycle {
    destroy = false
  }
}

removed {
  from = module.retired
}

import {
  to       = random_id.imported
  id       = "aGVsbG8"
  provider = random.other
}

import {
  to = terraform_data.keyed["a b"]
  id = "id-${var.suffix}"
}

import {
  for_each = var.existing
  to       = terraform_data.many[each.key]
  id       = each.value
}
