;; `--replace` replaces an instance although nothing forces it, and only
;; that one; naming an address that is not in state is an error.
;; ---- apply
(resource terraform-data "server"
  (count 2)
  (input (format "server-~a" count-index)))
;; ---- apply --replace terraform-data.server[0] --log
;; ---- plan --replace terraform-data.server[7]
;; ---- plan --replace terraform-data.ghost
