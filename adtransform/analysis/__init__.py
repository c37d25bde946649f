"""Analyses over the IR: which values need adjoints, what shapes we can prove."""
