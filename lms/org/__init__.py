"""Organisation: the units tree, the officials roster and HR imports."""
