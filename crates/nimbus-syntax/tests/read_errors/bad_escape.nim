(resource s3-bucket "a"
  (path "C:\Users\nimbus"))
