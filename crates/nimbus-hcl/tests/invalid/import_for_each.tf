# expect: 4:3 `for_each` in an `import` block is not supported by Nimbus yet
import {
  to       = null_resource.a[each.key]
  for_each = ["a"]
  id       = each.value
}
