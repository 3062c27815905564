;; A chain base <- mid <- top, and an unrelated `other`.
(define-infrastructure targeting
  (resource terraform-data "base"
    (input "base"))

  (resource terraform-data "mid"
    (input (ref terraform-data "base" "id")))

  (resource terraform-data "top"
    (input (ref terraform-data "mid" "id")))

  (resource terraform-data "other"
    (input "other")))
