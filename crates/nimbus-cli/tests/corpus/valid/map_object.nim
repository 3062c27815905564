;; map and object build maps; keys are names or strings.
(locals
  (settings (map
              (name "web")
              ("key with spaces" 1)
              (nested (object (inner (list 1 2)) (deeper (map (x "y")))))))
  (empty (map)))

(resource terraform-data "settings"
  (input (local settings))
  (triggers-replace (local empty)))

(output "inner"
  (value (lookup (lookup (local settings) "nested") "inner")))
