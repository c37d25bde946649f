"""Run-time refusal of complex values made with a dtype known only at run time (ad/dtype_checks.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UnsupportedArgumentError


def ensure_real(value: Any, where: str) -> None:
    """`value`, made by the call at `where` with a dtype computed at run time, must not be complex: the
    derivative rules take no conjugates, a complex intermediate would give a wrong gradient. Rules whose
    adjoint casts a cotangent to a dtype given at run time (`astype`) may call it on their result too."""
    if isinstance(value, (np.ndarray, np.generic, complex)) and np.iscomplexobj(value):
        raise UnsupportedArgumentError(
            f"{where}: this call made a complex value (dtype {np.asarray(value).dtype}) from a dtype known only "
            f"when the function runs; complex numbers are not supported (the derivative rules take no "
            f"conjugates, so a complex intermediate gives a wrong gradient): compute with the real and "
            f"imaginary parts as real arrays")
