"""Refuse in-place updates whose NumPy meaning differs from the one we differentiate.

The compiler reads `y += e` as `y = y + e`: a new value bound to `y`. NumPy writes into
y's buffer instead, so every other name sharing that buffer changes too. The two
meanings agree unless such a name is read after the update; when one may be, the
gradient would be silently wrong, so we refuse with a located error.

Names come to share a buffer through assignments (`t = x`, `t = x[0]`, `t = x.T`,
`t = x if c else y`, `t, u = x, y`), through loops over arrays (`for row in M`) and
through calls that may return their argument (`np.asarray(x)`, `x.conj()`, a user function:
what each call returns comes from the facts registry, frontend/calls.py). A call that changes
an argument in place (`c.sort()`, `np.put(c, ...)`, `out=c`, any call without facts) is an
update of that name like `c += ...` (canonicalize/effects.py then works on a copy). The
analysis is a may-point-to abstract interpretation over the structured syntax: each
name points to a set of allocation sites; an update makes every *other* name pointing
to one of its sites stale, and reading a stale name is refused. Rebinding a name
clears it. Loops iterate to a fixed point; branches join.

Refinements keep the analysis from refusing what NumPy and the compiler agree on:

* Numbers are immutable. A value *proven* to be an immutable number (a literal, the result of
  `float()`, `int()`, `len()`, a `math` function, `range`'s and `enumerate`'s counters, and
  arithmetic on such values) points to no memory that an update could change, so `t = s; s += 1.0`
  only rebinds `s`. Proven means resolved: the builtin or module named must be the real one
  (never a local or a global that shadows it). The rank analysis is no help here: a rank-0 value
  may be a 0-d array, which `+=` does change in place.
* Recency: an expression that builds a new object each time it runs (arithmetic, NumPy
  functions other than views, methods that copy) allocates at one site, but the object made by
  its latest run is told apart from the older ones: running it again renames the names pointing
  to the latest object to point to the older ones. So `prev = cur; cur = np.tanh(cur)` in a loop
  leaves `prev` and `cur` apart, and `prev *= 2.0` does not change `cur`.
* Apart names: pairs of names known to share no memory on every path, kept through assignments
  of one name to another and through joins (where the may-point-to sets lose it). Two arrays
  swapped in a loop (`cur, nxt = nxt, cur`) each may point to both, yet stay apart.
* `return`, `break` and `continue` end a path: an alias made just before one is not seen by the
  statements they skip.
* Parameters that may be numbers: `x = a; x += 1.0; return x * a` changes `a` if it is an array,
  never if it is a number. An update refused only through parameters' memory (and none the function
  indexes, iterates or reads an attribute of) is analysed again with them taken to hold numbers,
  which share nothing; the caller checks at call time that they do (`ensure_number`), an array
  there meeting the refusal it always met.
* A view of memory no name holds (`np.reshape(x * 2.0, (n, n))`, a number's memory included) is new
  each time it is made: it shares memory with nothing the program can see.

Containers: a list, tuple or dict holds its entries' objects (a display, `append`, `L[k] = v` make it
share their memory). `L[k] += e` changes the array held at that entry (entries.py): every other name
sharing the entries' memory is stale, and so is `L` itself unless its entries are each a new object made
where it was built (`[x * 2.0, x * 3.0]`, `[0.0] * n`, appends of new arrays); not `[y, y]`, `[y] * 3`.
A parameter whose memory is updated in place is checked at call time to share none with another
argument (`ensure_apart`: `f(a, a)`, a dict whose two entries are one array).

Entries one by one (entries.py): a name bound to a display keeps, per constant index or key, the
memory that entry holds (`L = [y, x * 3.0]`: entry 1 is new), so `L[1] += 1.0` changes that memory
only, `a, b = L` binds each name to its entry's, and `L[k] = v` changes the container, not the arrays
it holds (also for `dict(p)`, whose entries are not known one by one). A parameter's constant entries
(`P["a"]`, `P[0]`) are disjoint parts of it (ensure_apart checks the leaves at call time). A stale
name keeps the memory its updates changed: reading an entry apart from it (`P["b"]` after `P["a"]`
changed) is fine. Where two paths meet (a loop's head), a name holding a container made here on both keeps
its entries, each holding what it holds on either path (`D["h"] = D["h"] * x[i]` in a loop rebinds the entry,
it changes no array); with other indices or keys on the two paths, or after `L.append(v)`, the entries are
no longer known one by one, but an entry write still changes the container only.

Every update refused is reported, in one error (the first refusal of each update): the analysis
goes on past each, reading the update as the compiler does.

The package: lattice.py (sites and the state, with its join), interpreter.py (statements),
loops.py (fixed points), entries.py (updates of a container's entries), facts.py (what calls return
and change), refusals.py (the errors).

Across calls (the extension point): the analysis learns what a call does only from one object,
`facts.CallFacts` (what the call returns and may share, which arguments it changes). A call to a
user function gets the conservative answer today (any argument, or memory it keeps), which refuses
updates of whatever it returned. A summary of the callee's body, computed by this same interpreter
with its parameters as the allocation sites (what the result points to, which parameters are
updated), answers those questions precisely: it plugs in behind `CallFacts`, so the interpreter and
the lattice stay as they are, and one place keeps deciding what a call may share.
"""

from __future__ import annotations

import gast

from ...errors import Problem, UnsupportedSyntaxError
from ...frontend.resolve import Namespace
from ...frontend.source import SourceInfo
from .interpreter import Interpreter
from .lattice import NUMBER, State

__all__ = ["refuse_aliased_updates"]


def refuse_aliased_updates(fn: gast.FunctionDef, info: SourceInfo, namespace: Namespace | None = None,
                           numbers: dict[str, UnsupportedSyntaxError] | None = None,
                           refused: list[UnsupportedSyntaxError] | None = None,
                           apart: dict[str, UnsupportedSyntaxError] | None = None) -> dict[str, bool]:
    """Raise UnsupportedSyntaxError when a name is read after an in-place update changed it behind its
    back: one error naming every such update, in source order.

    `namespace` resolves the function's free names (`float`, `math`): without it, no call is proven
    to return a number. Returns the parameters the analysis assumed to hold arrays or numbers (not
    lists or tuples, whose copies share their elements): the caller checks them at call time. Each
    maps to whether a list or tuple of numbers is refused too (it was assumed to add no elements).

    `numbers` (when given) receives the parameters taken to hold numbers, each with the refusal an
    array there would meet (`x = a; x += 1.0; return x * a`: NumPy's `+=` changes an array `a`, never a
    number): the caller checks at call time that each holds an immutable number, and raises that
    refusal otherwise. A refusal is deferred so only when no other memory than those parameters' made
    the name stale, and the function does not use them as arrays (indexed, iterated).
    `refused` (when given) receives the error instead of its being raised: the caller goes on to find
    what later stages refuse too. `apart` (when given) receives the parameters whose memory is updated in
    place, each with the refusal a call meets when it shares memory with another argument (`f(a, a)`)."""
    taken: dict[str, UnsupportedSyntaxError] = {}
    arrays: set[str] = set()  # (a deferred refusal of a parameter used as an array: an error every call meets)
    while True:
        assumed, found, used, changed = _analyze(fn, info, namespace, frozenset(taken))
        arrays |= used
        deferred: dict[str, list[Problem]] = {}  # every refusal through each parameter, not only its last
        for error, params in found:
            if numbers is not None and params and not params & arrays:
                for p in sorted(params - taken.keys()):
                    deferred.setdefault(p, []).extend(error.problems)
        if not deferred:
            break
        taken.update({p: UnsupportedSyntaxError.of(problems, fn.name) for p, problems in deferred.items()})
    if numbers is not None:
        numbers.update(taken)
    if apart is not None:
        apart.update(changed)
    if found:
        error = UnsupportedSyntaxError.of([p for e, _ in found for p in e.problems], fn.name)
        if refused is None:
            raise error
        refused.append(error)
    return assumed


def _analyze(fn: gast.FunctionDef, info: SourceInfo, namespace: Namespace | None,
             numbers: frozenset[str]) -> tuple[dict[str, bool], list[tuple[UnsupportedSyntaxError, frozenset[str]]],
                                               set[str], dict[str, UnsupportedSyntaxError]]:
    """One run of the analysis, the parameters `numbers` taken to hold numbers: what it assumed, what it
    refused (each with the parameters through whose memory alone it was refused), and the parameters
    used as arrays."""
    params = fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs
    local_names, updated, calls = {a.id for a in params}, set(), []
    for node in gast.walk(fn):
        if isinstance(node, gast.Call):
            calls.append(node)
        elif isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            local_names.add(node.id)
        elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
            updated.add(node.target.id)
        elif isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Store) \
                and isinstance(node.value, gast.Name):
            updated.add(node.value.id)  # `a[i] = v`, `a[i] += v`
    interpreter = Interpreter(info, namespace, frozenset(local_names))
    for call in calls:  # `c.sort()`, `np.put(c, ...)`, `out=c`
        updated.update(arg.id for arg in interpreter.facts.changed(call) if isinstance(arg, gast.Name))
    state = State({arg.id: frozenset({NUMBER if arg.id in numbers else ("parameter", arg.id)}) for arg in params},
                  frozenset(updated))
    interpreter.block(fn.body, state)
    found = [(error, params and interpreter.through_params.get(key, frozenset()))
             for key, (error, params) in interpreter.refuse.found.items()]
    changed = {p: interpreter.refuse.shared_argument(p, update) for p, update in interpreter.changed_params.items()}
    return (dict(interpreter.assumed) if updated else {}), found, interpreter.arrays, changed
