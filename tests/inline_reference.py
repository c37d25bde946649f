"""The same program text run on autograd.numpy: the independent reference of tests/test_inline_*.py."""

from __future__ import annotations

import sys
import types
from pathlib import Path


def autograd_copy(module: types.ModuleType, **preset: types.ModuleType) -> types.ModuleType:
    """`module`'s text executed with numpy replaced by autograd.numpy (the modules it imports by
    name replaced by `preset`, their autograd copies)."""
    text = Path(module.__file__).read_text()
    text = text.replace("import numpy as xp", "import autograd.numpy as xp").replace(
        "import numpy as np", "import autograd.numpy as np").replace("from numpy import", "from autograd.numpy import")
    copy = types.ModuleType(module.__name__ + "_autograd")
    for name, value in preset.items():
        text = text.replace(f"import {name}\n", "").replace(f"from {name} import", f"from {name}_autograd import")
        copy.__dict__[name] = value
        sys.modules[f"{name}_autograd"] = value
    exec(compile(text, module.__file__, "exec"), copy.__dict__)
    return copy
