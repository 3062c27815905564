# expect: 3:10 expected a type: string, number, bool, any, list(T), set(T), map(T), object({...}) or tuple([...])
variable "pair" {
  type = tuple(string)
}
