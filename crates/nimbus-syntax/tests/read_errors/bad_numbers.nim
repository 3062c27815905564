(numbers 1.2.3 12abc 1e400 1e 0x1F 1_000 -5.5.5 1.5e)
