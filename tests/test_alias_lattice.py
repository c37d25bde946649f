"""The alias analysis's lattice alone: sites, the root index, recency, apart pairs and the join."""

from adtransform.analysis.aliases.lattice import NUMBER, Older, Part, State, View, join, overlap, sites_overlap, without

X = ("parameter", "x")


def state(**sites: object) -> State:
    return State({name: frozenset(where) for name, where in sites.items()}, updated=frozenset({"a"}))


def test_parts_of_one_value_unpacked_are_disjoint_but_views_are_not():
    assert not overlap(Part(X, 0), Part(X, 1))
    assert overlap(Part(X, 0), Part(X, 0))
    assert overlap(View(X, 7), Part(X, 1))  # a view may be any part
    assert overlap(Part(X, 0), X)
    loop = 42
    assert not overlap(Part(X, ("element", loop)), Part(X, ("rest", loop)))
    assert not sites_overlap([NUMBER], [NUMBER])  # numbers share nothing, not even with each other


def test_sharing_finds_exactly_the_names_that_may_overlap_and_follows_rebinding():
    s = state(a={X}, b={View(X, 1)}, c={7}, n={NUMBER})
    assert s.sharing(frozenset({X})) == {"a", "b"}
    s.point("b", frozenset({8}))  # rebound to a new object: no longer under x
    assert s.sharing(frozenset({X})) == {"a"}
    assert s.sharing(frozenset({8})) == {"b"}
    s.drop("a")
    assert s.sharing(frozenset({X})) == set()
    assert s.sharing(frozenset({NUMBER})) == set()


def test_allocation_ages_the_latest_object_of_its_site_only():
    s = state(a={5}, b={View(5, 1)}, c={6})
    s.allocate(5)  # site 5 runs again: what a and b point to is now one of its older objects
    assert s.sites["a"] == {Older(5)} and s.sites["b"] == {View(Older(5), 1)}
    assert s.sites["c"] == {6}
    s.point("d", frozenset({5}))  # the new object is apart from the older ones
    assert not sites_overlap(s.sites["d"], s.sites["a"])
    assert s.sharing(frozenset({Older(5)})) == {"a", "b"}
    assert s.sharing(frozenset({5})) == {"d"}


def test_forget_drops_every_pair_of_a_rebound_name():
    s = state(a={1, 2}, b={1, 2}, c={1, 2})
    s.add_apart([("a", "b"), ("a", "c")])
    assert s.known_apart("b", "a") and s.known_apart("a", "c") and not s.known_apart("b", "c")
    s.forget("a")
    assert s.apart == frozenset() and s.partners == {}


def test_join_keeps_may_sites_of_both_paths_and_pairs_apart_on_both():
    # Two arrays swapped: on each path a and b point to different objects, so they stay apart.
    left, right = state(a={1}, b={2}), state(a={2}, b={1})
    joined = left.join(right)
    assert joined.sites == {"a": {1, 2}, "b": {1, 2}}
    assert joined.known_apart("a", "b") and joined.paired("a", "b")
    # Shared on one path: not apart after the join.
    shared = state(a={1}, b={1})
    assert not left.join(shared).known_apart("a", "b")


def test_join_keeps_pairs_only_for_names_updated_in_place():
    left, right = state(p={1}, q={2}), state(p={2}, q={1})
    assert not left.join(right).paired("p", "q")  # neither is updated: the pair could never matter


def test_join_unions_stale_held_and_the_unbound_name_is_apart_from_all():
    left, right = state(a={1}), state(a={2}, b={1})
    left.stale["a"] = object()
    right.held = frozenset({"b"})
    joined = left.join(right)
    assert set(joined.stale) == {"a"} and joined.held == {"b"}
    assert joined.paired("a", "b")  # b is unbound on the left path and apart from a on the right
    assert not left.join(state(a={1}, b={1})).paired("a", "b")
    assert join(None, left) is left and join(left, None) is left


def test_copy_is_independent_and_equal_and_without_drops_a_name():
    s = state(a={1}, b={View(1, 3)})
    t = s.copy()
    assert t == s and t.key() == s.key()
    t.point("a", frozenset({9}))
    assert s.sites["a"] == {1} and s.sharing(frozenset({1})) == {"a", "b"}
    assert t != s
    u = without(s, "b")
    assert "b" not in u.sites and u.sharing(frozenset({1})) == {"a"} and "b" in s.sites


def test_the_index_agrees_with_a_scan_of_every_name_after_random_operations():
    import random

    rng = random.Random(7)
    site_pool = [X, 1, 2, 3, Older(1), Part(1, 0), Part(1, 1), View(2, 5), View(Older(2), 5), NUMBER]
    names = ["a", "b", "c", "d", "e"]
    states = [state(a={X})]
    for _ in range(400):
        s = rng.choice(states)
        op = rng.randrange(6)
        if op == 0:
            s.point(rng.choice(names), frozenset(rng.sample(site_pool, rng.randrange(1, 3))))
        elif op == 1:
            s.drop(rng.choice(names))
        elif op == 2:
            s.allocate(rng.choice([1, 2, 3]))
        elif op == 3:
            states.append(s.copy())
        elif op == 4:
            states.append(s.join(rng.choice(states)))
        else:
            a, b = rng.sample(names, 2)
            s.add_apart([(a, b)]) if rng.random() < 0.7 else s.forget(a)
        for t in states:
            for where in ([X], [1], [Older(1)], [Part(1, 0)], [2, Older(2)], [NUMBER]):
                scanned = {n for n, w in t.sites.items() if sites_overlap(w, where)}
                assert t.sharing(frozenset(where)) == scanned
            assert all(a in t.partners.get(b, ()) for a, others in t.partners.items() for b in others)
