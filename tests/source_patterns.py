"""Assertions on generated source (or printed IR) that hold under any numbering of names.

The compiler numbers the names it makes (`x_bar`, `x_bar_3`, `i_3`); a test that looks for
`"x_bar[i_3] = "` breaks when a pass adds a name, and one that asserts `"_bar[i_3] = " not in src`
passes vacuously (nothing is named `i_3` any more). A template names values by their base instead:
`{x_bar}[{i}] = ` matches `x_bar[i_3] = `, `x_bar_2[i] = ` and `x_1_bar[i] = `, never `y_bar[i] = `
or `x_bar[j] = `.
A placeholder repeated in one template stands for the same name each time (`{T} = {T} + ...`);
`{*}` stands for any name, and `{*i}` for any name too, captured as `i` (repeated: the same name);
`{...}` stands for any text within one line.
Everything outside braces is literal text.
"""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"\{(\*\w*|\w+|\.\.\.)\}")
_ANY_NAME = r"(?<![\w.])[A-Za-z_]\w*(?!\w)"


def name_pattern(base: str) -> str:
    """A regex for `base` under any numbering, as a whole word: for `x_bar`, `x_bar`, `x_bar_3`, and
    `x_1_bar` (the adjoint of the value `x_1`), never `x_item_bar` or `xs_bar`."""
    numbered = r"(?:_\d+)?"
    return r"(?<![\w.])" + f"{numbered}_".join(map(re.escape, base.split("_"))) + numbered + r"(?!\w)"


def compile_template(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)
    seen: dict[str, str] = {}
    out = []
    for k, part in enumerate(parts):
        if k % 2 == 0:
            out.append(re.escape(part))
        elif part == "*":
            out.append(_ANY_NAME)
        elif part == "...":
            out.append(r"[^\n]*?")
        elif part in seen:
            out.append(f"(?P={seen[part]})")
        else:
            group = f"g{len(seen)}"
            seen[part] = group
            out.append(f"(?P<{group}>{_ANY_NAME if part.startswith('*') else name_pattern(part)})")
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
    bases = [p for k, p in enumerate(_PLACEHOLDER.split(template)) if k % 2 and p not in ("*", "...")]
    return {base.lstrip("*"): m.group(f"g{i}") for i, base in enumerate(dict.fromkeys(bases))}


def blocks(header: str, text: str) -> list[tuple[dict[str, str], str]]:
    """Each line matching the template `header`, with the names it binds and the indented block under it.

    `blocks("for {i} in reversed(range(", src)` gives every backward loop with its index name
    (`{"i": "i_3"}`) and its body, nested loops included, in the order they appear.
    """
    pattern = compile_template(header)
    lines = text.splitlines()
    found = []
    for k, line in enumerate(lines):
        if pattern.search(line) is None:
            continue
        indent = len(line) - len(line.lstrip())
        body = []
        for inner in lines[k + 1:]:
            if inner.strip() and len(inner) - len(inner.lstrip()) <= indent:
                break
            body.append(inner)
        found.append((names(header, line), "\n".join(body)))
    return found


def code(text: str) -> str:
    """`text` without its comment lines (generated code repeats the user's line above each statement)."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
