# expect: 5:5 unexpected argument `destroyed` in `lifecycle`
removed {
  from = null_resource.a
  lifecycle {
    destroyed = false
  }
}
