"""Optimization passes over the differentiated IR, run to a fixed point by `fixed_point.py`."""
