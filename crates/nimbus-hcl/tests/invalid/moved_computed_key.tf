# expect: 3:10 expected an address such as
moved {
  from = null_resource.a[var.k]
  to   = null_resource.b
}
