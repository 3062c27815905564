; A comment before the first form.
(define-infrastructure staging
    ; provider first
  (provider aws (region "eu-west-1"))
      ;; two comments
      ;; in a row
  (resource sqs-queue "jobs"
  ; inside the resource, before its first attribute
    (visibility-timeout 30)))
; between forms, directly above the second one
(output "queue-url" (value (ref sqs-queue "jobs" "url")))
