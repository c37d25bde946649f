"""Loops of the alias interpreter: the state at a loop's head is iterated to a fixed point.

The states at `break` and `continue` are collected per loop: `continue` goes back to the head, `break`
past the `else` clause. A `for` loop over an array keeps a hidden name for the elements it has yet to
hand out, so that an update of the whole array while it is iterated over is refused.

A loop inside another one is run again in every round of the outer one; iterated from scratch each
time, nesting made the analysis exponential in its depth. So each loop starts from the last fixed
point it reached, joined with the new entry state, and remembers its result per entry state. That is
sound (every state iterated is a join including the entry, so the result is a fixed point above it),
and it finds the same fixed point as iterating from scratch: from one round of an enclosing loop to
the next the entry only grows, so the last fixed point lies below the new one.
"""

from __future__ import annotations

from typing import Any

import gast

from .lattice import Part, State, bounded, join, without


class Loops:
    """Runs the loops of one interpreter (interpreter.Interpreter: its statements, reads and bindings)."""

    def __init__(self, interpreter: Any) -> None:
        self.interpreter = interpreter
        self.exits: list[tuple[list[State], list[State]]] = []  # per loop: states at `break`, at `continue`
        self.heads: dict[int, State] = {}  # loop -> its head at the last fixed point found
        self.done: dict[tuple[int, tuple[object, ...]], State | None] = {}  # (loop, entry) -> the state after it

    def exit(self, is_continue: bool, state: State) -> None:
        self.exits[-1][is_continue].append(state.copy())

    def run(self, loop: gast.For | gast.While, entry: State) -> State | None:
        """The state after `loop` entered in `entry`. Each round of an enclosing loop runs it again; from
        the same entry it ends in the same state, so that is looked up, not iterated again."""
        key = (id(loop), entry.key())
        if key in self.done:
            after = self.done[key]
            return None if after is None else after.copy()
        after = self._run(loop, entry)
        self.done[key] = None if after is None else after.copy()
        return after

    def _run(self, loop: gast.For | gast.While, entry: State) -> State | None:
        it = self.interpreter
        rest = f"<elements left by the loop on line {loop.lineno}>"
        if isinstance(loop, gast.For):
            it.read(loop.iter, entry)  # evaluated once; its rows are then handed out one by one
            # A hidden name for what the loop has yet to hand out: an update of the whole array
            # makes it stale, an update of the element just handed out does not.
            entry = entry.copy()
            entry.forget(rest)
            entry.point(rest, frozenset(bounded(Part(site, ("rest", id(loop))))
                                        for iterated in it.facts.iterated(loop.iter)
                                        for site in it.sources(iterated, entry) or {id(iterated)}))
        # Each round of an enclosing loop enters this one in a larger state, whose fixed point lies above
        # the last one found: iterating from there, the body's rounds are not all run again.
        last = self.heads.get(id(loop))
        head = entry if last is None else entry.join(last)
        while True:
            self.exits.append(([], []))
            body = head.copy()
            if isinstance(loop, gast.For):
                if rest in body.stale:
                    it.refuse.iterated(loop, body.stale[rest])
                it.bind_iteration(loop.target, loop.iter, body, id(loop))
            else:
                it.read(loop.test, body)
            end = it.block(loop.body, body)
            breaks, continues = self.exits.pop()
            new_head = join(head, end)
            for state in continues:  # back to the head; a `break` leaves the loop (and skips `else`)
                new_head = new_head.join(state)
            if new_head == head:
                break
            head = new_head
        self.heads[id(loop)] = head
        after = it.block(loop.orelse, without(head, rest))
        for state in breaks:
            after = join(after, without(state, rest))
        return after
