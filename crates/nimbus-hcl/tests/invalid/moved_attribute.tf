# expect: 4:10 an address ends with the resource's name or one instance key
moved {
  from = null_resource.a
  to   = null_resource.b.id
}
