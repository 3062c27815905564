# expect: 2:1 unknown block type `resorce`
resorce "a" "b" {}
