;; include needs a module imported with use-module.
(use-module network "./modules/network.nim")

(include netwrk (cidr "10.0.0.0/16"))
(include storage)
