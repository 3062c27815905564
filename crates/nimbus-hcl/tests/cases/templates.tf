locals {
  plain   = "no interpolation"
  escaped = "literal $${not} and %%{not}"
  lone    = "${var.list}"
  mixed   = "n=${1 + 2}!"
  cond    = "Hello, %{ if var.name != "" }${var.name}%{ else }unnamed%{ endif }!"
  loop    = <<EOT
%{ for ip in var.ips ~}
server ${ip}
%{ endfor ~}
EOT
  indented = <<-EOT
    first
      second ${var.x}
    EOT
  stripped = "a ${~ var.x ~} b"
  rendered = templatefile("${path.module}/motd.tpl", { name = var.x, ips = var.ips })
}
