;; Providers that are not available, and resources using unknown ones.
(provider gogle-cloud
  (project "x"))

(provider builtin
  (alias extra)
  (region "nowhere"))
