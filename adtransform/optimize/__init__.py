"""Optimization passes over the IR: one module each, `transform(fn, cx) -> bool`, in the order of
`schedule.py`, run by `driver.py`."""
