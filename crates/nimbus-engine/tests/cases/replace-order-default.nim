;; Without create-before-destroy, a replacement deletes the old object
;; before creating the new one (the provider calls in the order their
;; intents were recorded).
;; ---- apply
(resource null-resource "server"
  (triggers (image "v1")))
;; ---- apply --log
(resource null-resource "server"
  (triggers (image "v2")))
