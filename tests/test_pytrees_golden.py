"""Golden source of a dict-of-parameters model: the same code as the flat function's, parameters
named after the dict and its keys (regenerate with ADTRANSFORM_UPDATE_GOLDEN=1, as test_golden.py)."""

import os
from pathlib import Path

import golden_functions as g
import numpy as np

import adtransform as ad

GOLDEN = Path(__file__).parent / "golden"


def test_dict_mlp_source_matches_golden():
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4), "W2": rng.normal(size=(4, 2)),
              "b2": rng.normal(size=2)}
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    df = ad.grad(g.dict_mlp_loss)
    grads = df(params, x, y)
    flat = ad.grad(g.sigmoid_mlp_loss, wrt=(0, 1, 2, 3))(params["W1"], params["b1"], params["W2"], params["b2"], x, y)
    for key, expected in zip(("W1", "b1", "W2", "b2"), flat):
        np.testing.assert_allclose(grads[key], expected, rtol=1e-12, atol=1e-14)
    source = df.source.replace(g.__file__, "golden_functions.py")
    path = GOLDEN / "dict_mlp_loss.py.txt"
    if os.environ.get("ADTRANSFORM_UPDATE_GOLDEN"):
        path.write_text(source)
    assert source == path.read_text(), f"generated source of dict_mlp_loss changed; see {path}"
