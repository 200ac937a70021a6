"""Rule families, one module each; every Rule subclass with a code is registered."""
