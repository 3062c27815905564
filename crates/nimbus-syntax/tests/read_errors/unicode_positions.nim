(résumé "naïve" "日本語" "bad \z escape" #ü)
