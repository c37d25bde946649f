"""The numbering-free templates the source assertions use (tests/source_patterns.py)."""

from source_patterns import blocks, code, count, find, has, names

SRC = """\
def f(x):
    # line 3: x_bar[i] = 1.0
    x_bar_2 = zeros_items(x)
    for i_3 in reversed(range(n)):
        x_bar_2[i_3] = x_1_bar + 1.0
        y_bar[i_3] += 2.0
        for j in reversed(range(m)):
            x_bar_2[i_3, j] += 1.0
    T_1 = T_1 + T_2
    return x_bar_2
"""


def test_a_name_matches_under_any_numbering_and_nothing_else():
    assert find("{x_bar}", "x_bar x_bar_3 x_1_bar x_1_bar_2") == ["x_bar", "x_bar_3", "x_1_bar", "x_1_bar_2"]
    for other in ("y_bar", "xs_bar", "x_item_bar", "x_bar_a", "ax_bar", "obj.x_bar", "x_barb"):
        assert not has("{x_bar}", other), other


def test_a_repeated_placeholder_is_the_same_name():
    assert has("{T} = {T} + ", SRC) and not has("{T} = {T} + {T}\n", SRC)
    assert names("{T} = {T} + {*other}", SRC) == {"T": "T_1", "other": "T_2"}


def test_wildcards_and_captures():
    assert count("{*}[{*i}] = ", code(SRC)) == 1 and count("{*}[{*i}] += ", SRC) == 1
    assert names("{x_bar}[{*i}] = {...}1.0", code(SRC)) == {"x_bar": "x_bar_2", "i": "i_3"}
    assert not has("{x_bar}[{*i}] = {...}3.0", SRC)                 # `{...}` stays within one line


def test_blocks_give_each_loop_its_index_and_body():
    (outer, outer_body), (inner, inner_body) = blocks("for {*i} in reversed(range(", SRC)
    assert outer == {"i": "i_3"} and inner == {"i": "j"}
    assert inner_body in outer_body and "T_1" not in outer_body
    assert has(f"{{x_bar}}[{outer['i']}, {inner['i']}] += ", inner_body)


def test_code_drops_comment_lines():
    assert has("{x_bar}[i] = ", SRC) and not has("{x_bar}[i] = ", code(SRC))
