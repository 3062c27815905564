# expect: 2:1 unexpected attribute `name` at the top level
name = "x"
