import sys
from pathlib import Path

# Tests import their helpers (gradcheck, fixtures modules) by plain name.
sys.path.insert(0, str(Path(__file__).resolve().parent))


import pytest


@pytest.fixture(autouse=True)
def _buffers_reused_at_every_size(monkeypatch):
    """The buffer helpers write in place only from IN_PLACE_FROM bytes on (below, a new array is as
    fast); the tests' arrays are small, so they lower it to 0 to exercise the in-place paths."""
    from adtransform.runtime import accumulate

    monkeypatch.setattr(accumulate, "IN_PLACE_FROM", 0)
