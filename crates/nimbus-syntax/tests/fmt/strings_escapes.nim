(strings
  "plain"
  "quote \" and backslash \\"
  "newline \n tab \t return \r"
  "hex escapes \x41;\x3bb; and nul \0 and bell \a"
  "a literal
newline becomes an escape"
  "line \
     continuation"
  "unicode: héllo wörld ✓ 日本語"
  "bidi control \x202E; is made visible"
  "control \x1b;[31m red"
  ""
  "semicolon ; and hash #| inside a string |# are not comments")
