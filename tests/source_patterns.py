"""Assertions on generated source (or printed IR) that hold under any numbering of names.

The compiler numbers the names it makes (`x_bar`, `x_bar_3`, `i_3`); a test that looks for
`"x_bar[i_3] = "` breaks when a pass adds a name, and one that asserts `"_bar[i_3] = " not in src`
passes vacuously (nothing is named `i_3` any more). A template names values by their base instead:
`{x_bar}[{i}] = ` matches `x_bar[i_3] = ` and `x_bar_2[i] = `, never `y_bar[i] = ` or `x_bar[j] = `.
A placeholder repeated in one template stands for the same name each time (`{T} = {T} + ...`), and
`{*}` stands for any name. Everything outside braces is literal text.
"""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"\{(\*|\w+)\}")


def name_pattern(base: str) -> str:
    """A regex for `base` under any numbering: `base`, `base_1`, `base_23`, as a whole word."""
    return rf"(?<![\w.]){re.escape(base)}(?:_\d+)?(?!\w)"


def compile_template(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)
    seen: dict[str, str] = {}
    out = []
    for k, part in enumerate(parts):
        if k % 2 == 0:
            out.append(re.escape(part))
        elif part == "*":
            out.append(r"(?<![\w.])[A-Za-z_]\w*")
        elif part in seen:
            out.append(f"(?P={seen[part]})")
        else:
            group = f"g{len(seen)}"
            seen[part] = group
            out.append(f"(?P<{group}>{name_pattern(part)})")
    return re.compile("".join(out))


def find(template: str, text: str) -> list[str]:
    """Every match of `template` in `text` (the matched text)."""
    return [m.group(0) for m in compile_template(template).finditer(text)]


def has(template: str, text: str) -> bool:
    return compile_template(template).search(text) is not None


def count(template: str, text: str) -> int:
    return len(find(template, text))


def names(template: str, text: str) -> dict[str, str]:
    """The actual name each placeholder stands for in the first match (`{}` if there is none)."""
    m = compile_template(template).search(text)
    if m is None:
        return {}
    bases = [p for k, p in enumerate(_PLACEHOLDER.split(template)) if k % 2 and p != "*"]
    return {base: m.group(f"g{i}") for i, base in enumerate(dict.fromkeys(bases))}
