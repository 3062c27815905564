# Mistakes in a `policy` block are located errors at load: an unknown
# predicate, a level that does not exist, an exception without a reason.
policy "p" {
  deny "*" {
    when = tag_equal("a", "b")
  }
  warn "*" {
    enforcement = "sometimes"
  }
}

resource "terraform-data" "x" {
  input = 1
  policy_exception "p.deny" {
    expires = "2030-01-01"
  }
}
# ---- changes
{"changes": []}
