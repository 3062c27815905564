;; A block comment that is never closed, after a stray byte order mark.
(resource null-resource "a")
(resource null-resource "b﻿")
#| this comment
   never ends
(resource null-resource "c")
