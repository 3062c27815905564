;; A configuration with nothing in it is valid (and does nothing).
