"""Organisation: the units tree (province → departments/communes → offices)."""
