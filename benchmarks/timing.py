"""Shared timing methodology for the adtransform benchmark scripts.

Methodology (see benchmarks/README.md):

* Every benchmarked thing is a zero-argument callable, so every tool pays the
  same per-call harness overhead (one Python call of a closure); that overhead
  is measured by :func:`call_overhead_ns` and printed, never subtracted.
* One *sample* is ``n`` back-to-back calls timed with
  ``time.perf_counter_ns``; the sample's value is total / n (ns per call).
  ``n`` is calibrated per callable so a sample lasts about ``target_ms``.
* All callables of one comparison are measured in the same process, in
  round-robin: sample 1 of every callable, then sample 2 of every callable,
  ... with the order rotated each round, so slow drifts of the machine
  (frequency, other load) hit every callable alike.
* The statistic is the median of the samples; the spread is reported as the
  inter-quartile range relative to the median.
* The garbage collector stays enabled (allocation-heavy tools pay for the
  collections they cause), but ``gc.collect()`` runs before every sample so no
  callable pays for garbage left by another one.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "Result",
    "blas_info",
    "calibrate",
    "call_overhead_ns",
    "format_ns",
    "interleaved",
    "load_average",
    "machine_facts",
    "set_blas_threads",
    "time_sample",
]


@dataclass
class Result:
    """Samples (ns per call) of one callable."""

    name: str
    inner: int  # calls per sample
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def minimum(self) -> float:
        return min(self.samples)

    @property
    def iqr_rel(self) -> float:
        """Inter-quartile range divided by the median (0.02 == 2 %)."""
        if len(self.samples) < 2:
            return 0.0
        q = statistics.quantiles(self.samples, n=4, method="inclusive")
        return (q[2] - q[0]) / self.median


def time_sample(fn: Callable[[], object], n: int) -> float:
    """Return ns per call of ``n`` back-to-back calls of ``fn``."""
    rng = range(n)
    t0 = time.perf_counter_ns()
    for _ in rng:
        fn()
    t1 = time.perf_counter_ns()
    return (t1 - t0) / n


def calibrate(
    fn: Callable[[], object],
    target_ms: float = 20.0,
    warmup_calls: int = 3,
    max_inner: int = 10_000_000,
) -> int:
    """Number of calls of ``fn`` that take about ``target_ms`` milliseconds.

    Doubles ``n`` until one batch lasts at least a fifth of the target, then
    scales linearly; always at least 1.
    """
    for _ in range(warmup_calls):
        fn()
    target_ns = target_ms * 1e6
    n = 1
    while True:
        per_call = time_sample(fn, n)
        if per_call * n >= target_ns / 5 or n >= max_inner:
            break
        n *= 2
    return max(1, min(max_inner, round(target_ns / max(per_call, 1.0))))


def interleaved(
    callables: dict[str, Callable[[], object]],
    samples: int = 9,
    target_ms: float = 20.0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Result]:
    """Time every callable ``samples`` times, round-robin, rotating the order.

    Returns ``{name: Result}`` in the insertion order of ``callables``.
    """
    names = list(callables)
    results: dict[str, Result] = {}
    for name in names:
        inner = calibrate(callables[name], target_ms)
        results[name] = Result(name, inner)
        if progress:
            progress(f"  calibrated {name}: {inner} calls/sample")
    for r in range(samples):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            res = results[name]
            gc.collect()
            res.samples.append(time_sample(callables[name], res.inner))
    return results


def call_overhead_ns(samples: int = 7, target_ms: float = 20.0) -> float:
    """Harness cost per call: the median ns per call of a no-op closure."""

    def noop():
        return None

    return interleaved({"noop": noop}, samples, target_ms)["noop"].median


def format_ns(ns: float) -> str:
    """Human-readable duration (µs with sensible precision)."""
    us = ns / 1e3
    if us < 10:
        return f"{us:.2f} µs"
    if us < 1000:
        return f"{us:.1f} µs"
    return f"{us / 1e3:.2f} ms"


# --------------------------------------------------------------------------
# Machine facts
# --------------------------------------------------------------------------

_ENV_VARS = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NVPL_BLAS_DEBUG_CPU_TYPE",
)


_OPENBLAS_SYMBOLS = (("scipy_openblas", "64_"), ("openblas", "64_"), ("openblas", ""), ("scipy_openblas", ""))


def _numpy_openblas():
    """(ctypes library, symbol prefix, symbol suffix, file name) of numpy's bundled OpenBLAS, or None."""
    import ctypes
    import glob

    import numpy as np

    libdir = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libdir, "*openblas*.so*"))):
        try:
            lib = ctypes.CDLL(path)  # already loaded by numpy: same handle
        except OSError:
            continue
        for prefix, suffix in _OPENBLAS_SYMBOLS:
            if hasattr(lib, f"{prefix}_get_num_threads{suffix}"):
                return lib, prefix, suffix, os.path.basename(path)
    return None


def _openblas_ctypes() -> dict | None:
    """Query the OpenBLAS bundled with numpy directly (no threadpoolctl)."""
    import ctypes

    found = _numpy_openblas()
    if found is None:
        return None
    lib, prefix, suffix, name = found
    info = {"library": name}
    getn = getattr(lib, f"{prefix}_get_num_threads{suffix}")
    getn.restype = ctypes.c_int
    info["num_threads"] = getn()
    core = getattr(lib, f"{prefix}_get_corename{suffix}", None)
    if core is not None:
        core.restype = ctypes.c_char_p
        info["corename"] = core().decode()
    cfg = getattr(lib, f"{prefix}_get_config{suffix}", None)
    if cfg is not None:
        cfg.restype = ctypes.c_char_p
        info["config"] = cfg().decode().strip()
    return info


def _numpy_blas_entry(entries: list[dict]) -> dict:
    """Among threadpoolctl's BLAS entries (torch brings MKL), the one numpy loaded."""
    import numpy as np

    root = os.path.dirname(os.path.dirname(np.__file__))
    for d in entries:
        path = d.get("filepath") or ""
        if path.startswith(os.path.join(root, "numpy.libs")) or path.startswith(os.path.dirname(np.__file__)):
            return d
    return entries[0]


def blas_info() -> dict:
    """BLAS facts for numpy: ``{"source", "num_threads", ...}``.

    Uses threadpoolctl when it is installed, else asks numpy's bundled
    OpenBLAS through ctypes, else reports the thread count as unknown.
    """
    import numpy as np  # noqa: F401  (make sure BLAS is loaded)

    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        blas = [d for d in threadpool_info() if d.get("user_api") == "blas"]
        if blas:
            d = _numpy_blas_entry(blas)
            return {
                "source": "threadpoolctl",
                "num_threads": d.get("num_threads"),
                "library": f"{d.get('internal_api')} {d.get('version')}",
                "corename": d.get("architecture"),
                "all": blas,
            }
    info = _openblas_ctypes()
    if info is not None:
        info["source"] = "ctypes (threadpoolctl not installed)"
        return info
    return {"source": "unknown (no threadpoolctl, no OpenBLAS found)", "num_threads": None}


_limiter = None  # keeps a threadpoolctl limit alive for the whole process


def set_blas_threads(n: int) -> bool:
    """Set numpy's BLAS thread count for the rest of the process; True when it worked.

    Uses threadpoolctl when installed, else numpy's bundled OpenBLAS via ctypes.
    """
    global _limiter
    import ctypes

    import numpy as np  # noqa: F401

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    if threadpool_limits is not None:
        _limiter = threadpool_limits(limits=n, user_api="blas")
        return True
    found = _numpy_openblas()
    if found is None:
        return False
    lib, prefix, suffix, _ = found
    setn = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
    if setn is None:
        return False
    setn.argtypes = [ctypes.c_int]
    setn(int(n))
    return True


def load_average() -> str:
    """The 1/5/15-minute load averages, or '?' where the OS does not say."""
    try:
        one, five, fifteen = os.getloadavg()
    except (AttributeError, OSError):
        return "?"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_facts(extra_modules: Sequence[str] = ()) -> list[str]:
    """Lines describing the machine, interpreter, numpy/BLAS and env vars."""
    import numpy as np

    lines = [
        f"python {platform.python_version()} ({sys.implementation.name}) on {platform.system()} {platform.machine()}",
        f"cpu: {_cpu_model()}, os.cpu_count() = {os.cpu_count()}"
        + (f", affinity = {len(os.sched_getaffinity(0))} CPUs" if hasattr(os, "sched_getaffinity") else ""),
        f"numpy {np.__version__}",
    ]
    b = blas_info()
    desc = f"BLAS threads = {b.get('num_threads')} [via {b['source']}]"
    if b.get("library"):
        desc += f", library {b['library']}"
    if b.get("corename"):
        desc += f", core {b['corename']}"
    lines.append(desc)
    for mod in extra_modules:
        m = sys.modules.get(mod)
        if m is None:
            continue
        ver = getattr(m, "__version__", None)
        if ver is None:
            try:
                from importlib.metadata import PackageNotFoundError, version

                ver = version(mod)
            except (ImportError, PackageNotFoundError):
                ver = "(version unknown)"
        where = os.path.dirname(getattr(m, "__file__", None) or "?")
        lines.append(f"{mod} {ver} ({where})" if mod == "adtransform" else f"{mod} {ver}")
    env = ", ".join(f"{k}={os.environ[k]!r}" if k in os.environ else f"{k} unset" for k in _ENV_VARS)
    lines.append(f"env: {env}")
    lines.append(
        f"load average (1/5/15 min) at start: {load_average()} "
        "(near or above the CPU count means other processes compete for the CPUs)"
    )
    return lines
