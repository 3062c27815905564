;; local-file with text or base64 content and permissions.
(resource local-file "text"
  (filename "out/text.txt")
  (content "hello\n")
  (file-permission "0600")
  (directory-permission "0700"))

(resource local-file "binary"
  (filename "out/binary.bin")
  (content-base64 (base64-encode "raw bytes")))

(resource local-file "derived"
  (filename (format "out/~a.sha" (ref local-file "text" "id")))
  (content (ref local-file "binary" "content-sha256")))
