;; The string functions.
(locals
  (name "  Nimbus Infrastructure  ")
  (trimmed (trim (local name)))
  (strings (map
             (upper (upper (local trimmed)))
             (lower (lower (local trimmed)))
             (title (title "hello world"))
             (chomp (chomp "line\n\n"))
             (trim-chars (trim "--x--" "-"))
             (trim-prefix (trim-prefix "v1.2.3" "v"))
             (trim-suffix (trim-suffix "main.nim" ".nim"))
             (replace (replace "a-b-c" "-" "_"))
             (split (split "," "a,b,c"))
             (join (join "/" (list "usr" "local" "bin")))
             (substr (substr "abcdef" 1 3))
             (indent (indent 2 "a\nb"))
             (format (format "~a has ~s ~~ ~a~%" "x" "quoted" 3))
             (append (string-append "ab" "cd" "ef"))
             (starts (starts-with "nimbus" "nim"))
             (ends (ends-with "nimbus" "bus"))
             (contains (contains "nimbus" "mbu"))
             (to-string (to-string 42)))))

(resource terraform-data "strings"
  (input (local strings)))
