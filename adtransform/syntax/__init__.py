"""The only code that touches raw gast: builders, the namer, and parsing helpers."""
