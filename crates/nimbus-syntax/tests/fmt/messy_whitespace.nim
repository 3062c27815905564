(define-infrastructure   messy (provider aws
(region "us-east-1"))(resource s3-bucket "b" (acl
        "private")   (versioning
#t))
                 (output "o" (value 1)))
	(tabs	and	spaces)
