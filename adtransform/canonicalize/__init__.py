"""Canonicalization: small gast passes that bring the function to a form SSA lowering accepts."""
