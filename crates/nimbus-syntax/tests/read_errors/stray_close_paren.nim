(resource s3-bucket "a"))
(output "x" (value 1)))
)
