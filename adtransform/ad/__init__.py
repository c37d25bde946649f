"""Automatic differentiation of IR: the rule registry, rule templates, and the reverse-mode pass."""
