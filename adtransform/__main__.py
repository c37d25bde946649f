"""Print the generated gradient of a function in a file.

    python -m adtransform path/to/file.py:function [--wrt NAME ...] [--value]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from . import api
from .errors import AdtransformError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adtransform", description=__doc__.splitlines()[0])
    parser.add_argument("target", help="FILE.py:FUNCTION")
    parser.add_argument("--wrt", nargs="+", default=None,
                        help="parameters (names or indices) to differentiate with respect to; default: the first")
    parser.add_argument("--value", action="store_true", help="generate value_and_grad instead of grad")
    args = parser.parse_args(argv)
    path_text, sep, function_name = args.target.rpartition(":")
    if not sep or not path_text or not function_name:
        parser.error("target must be FILE.py:FUNCTION")
    path = Path(path_text)
    if not path.is_file():
        parser.error(f"no such file: {path}")
    spec = importlib.util.spec_from_file_location(f"_adtransform_cli_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent.resolve()))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    fn = getattr(module, function_name, None)
    if fn is None:
        parser.error(f"{path} defines no `{function_name}`")
    wrt: object = 0
    if args.wrt is not None:
        items = tuple(int(w) if w.lstrip("-").isdigit() else w for w in args.wrt)
        wrt = items if len(items) > 1 else items[0]
    make = api.value_and_grad if args.value else api.grad
    try:
        print(make(fn, wrt=wrt).source, end="")
    except AdtransformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
