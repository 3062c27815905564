(tags 'a 'b ')
