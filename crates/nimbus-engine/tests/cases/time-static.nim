;; A timestamp is fixed at creation and kept; changing its triggers takes
;; a new one. A timestamp given in the configuration is used as is and
;; can be referenced at plan time. Timestamps are redacted.
;; ---- apply
(resource time-static "deployed"
  (triggers (release "1")))

(resource time-static "launch"
  (rfc3339 "2024-05-01T12:30:00Z"))

(resource terraform-data "launch-copy"
  (input (ref time-static "launch" "rfc3339")))
;; ---- apply
;; (nothing changes: the timestamps were kept)
;; ---- apply
(resource time-static "deployed"
  (triggers (release "2")))

(resource time-static "launch"
  (rfc3339 "2024-05-01T12:30:00Z"))

(resource terraform-data "launch-copy"
  (input (ref time-static "launch" "rfc3339")))
