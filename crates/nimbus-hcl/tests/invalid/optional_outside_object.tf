# expect: 3:15 `optional(...)` is only valid as the type of an object's attribute
variable "x" {
  type = list(optional(string))
}
