(backend postgres)

(output "ok" (value "yes"))
