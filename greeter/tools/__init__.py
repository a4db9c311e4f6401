"""`greeter compare` and `greeter bench`, and the real servers they start: never imported while greeter serves."""
