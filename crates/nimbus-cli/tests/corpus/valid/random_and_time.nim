;; The random and time resources with their optional settings.
(resource random-id "server"
  (byte-length 8)
  (prefix "srv-")
  (keepers (ami "ami-123")))

(resource random-string "name"
  (length 12)
  (special #f)
  (upper #f)
  (numeric #t)
  (min-lower 2)
  (min-numeric 2)
  (override-special "_-"))

(resource random-password "db"
  (length 20)
  (min-upper 1)
  (min-special 2)
  (keepers (rotation "2024-q1")))

(resource time-static "created"
  (triggers (server (ref random-id "server" "hex"))))

(resource time-static "fixed"
  (rfc3339 "2024-05-01T12:30:00Z"))

(output "created-year"
  (value (ref time-static "created" "year")))

(output "server-dec"
  (value (ref random-id "server" "dec")))
