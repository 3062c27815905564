;; `depends-on` on an `include`: every block of the called module, and of
;; the modules it calls, waits for what it names, though nothing refers
;; to it; the module's data source reads the file only once the change
;; the module waits for is applied (read at apply, not while planning).
;; The module is written in the Terraform language, the root in `.nim`.
;; ---- file modules/reader/main.tf
data "local-file" "seen" {
  filename = "source.txt"
}

resource "terraform-data" "copy" {
  input = data.local-file.seen.content
}

module "inner" {
  source = "./inner"
}

output "seen" {
  value = terraform-data.copy.output
}
;; ---- file modules/reader/inner/main.tf
resource "terraform-data" "deep" {
  input = "deep"
}
;; ---- apply --log
(use-module reader "./modules/reader")

(resource local-file "source"
  (filename "source.txt")
  (content "first"))

(include reader (depends-on (ref local-file "source")))

(output "seen" (value (module-output reader "seen")))
;; ---- apply
(use-module reader "./modules/reader")

(resource local-file "source"
  (filename "source.txt")
  (content "second"))

(include reader (depends-on (ref local-file "source")))

(output "seen" (value (module-output reader "seen")))
;; ---- validate
(use-module reader "./modules/reader")

(resource local-file "source"
  (filename "source.txt")
  (content "second"))

(include reader (depends-on (ref local-file "sourc")))
