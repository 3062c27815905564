(strings "\x41" "\x;" "\xZZ;" "\xD800;" "\x110000;" "\xFFFFFFFFFFFF;")
