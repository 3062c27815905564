;; Encoding and hashing functions.
(locals
  (text "hello nimbus")
  (encoded (map
             (base64 (base64-encode (local text)))
             (decoded (base64-decode "aGVsbG8="))
             (json (json-encode (map (a 1) (b (list #t null)))))
             (parsed (lookup (json-decode "{\"k\": [1, 2]}") "k"))
             (url (url-encode "a b&c"))
             (md5 (md5 (local text)))
             (sha1 (sha1 (local text)))
             (sha256 (sha256 (local text)))
             (sha512 (sha512 (local text)))
             (b64-sha256 (base64-sha256 (local text)))
             (b64-sha512 (base64-sha512 (local text))))))

(resource terraform-data "encoded"
  (input (local encoded)))
