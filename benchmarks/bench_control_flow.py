"""Control-flow benchmark: loops and branches, adtransform vs hand-written NumPy vs autograd vs PyTorch.

Run from the repository root:

    python benchmarks/bench_control_flow.py            # full run (~2 min)
    python benchmarks/bench_control_flow.py --quick    # smoke run
    python benchmarks/bench_control_flow.py --problems ode,heating --profile

Problems
  1. rnn       - Elman RNN, T = 50, hidden 32, input 16, h = tanh(W h + U x[t]),
                 loss sum(h**2); gradient wrt (W, U, h0)
  2. ode       - 1000-step explicit Euler of a damped oscillator on Python
                 floats, loss x**2 + v**2 at the end; gradient wrt (k, c)
  3. newton    - while-loop Newton solve of x**3 + p x - q = 0 from x = 1 until
                 |f(x)| < 1e-12 (data-dependent trip count); gradient of the
                 root wrt (p, q)
  4. building  - the thermal model of the public "BuildingSimulation" benchmark
                 (PassiveLogic differentiable-swift-examples: hot-water tank,
                 PEX tube, concrete slab), 20 steps of 0.1 s, loss
                 |T_slab - 27.344767|; gradient wrt its 17 scalar parameters
  5. heating   - a simplified single-zone building model: 20 steps of
                 T += dt/C ((T_out[t] - T)/R + heating[t]), cost accumulated in
                 the loop (energy price + comfort penalty); gradient wrt the
                 heating schedule (a length-20 array read as heating[t])

For each problem every tool's gradient is first checked against the
hand-written one (which is itself checked against central finite
differences); any mismatch or error aborts the run (after printing
adtransform's generated source when adtransform is the culprit).  Then all
tools are timed interleaved in this one process (benchmarks/timing.py) and a
markdown table is printed.  --profile times every line of adtransform's
generated gradient and prints where the time goes.
"""

from __future__ import annotations

import argparse
import ast
import math
import os
import statistics
import sys
import time
import traceback
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
if ROOT not in sys.path:
    sys.path.insert(1, ROOT)  # the adtransform package lives at the root

import autograd  # noqa: E402
import autograd.numpy as anp  # noqa: E402
import numpy as np  # noqa: E402
import timing  # noqa: E402
import torch  # noqa: E402

ad, AD_IMPORT_ERROR = timing.import_adtransform()

TARGET_RATIO = 1.5  # adtransform / hand-written, on every problem


# ===========================================================================
# Problem 1: RNN, T = 50, hidden 32, input 16
# ===========================================================================


def rnn_f(W, U, h0, x):
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + U @ x[t])
    return np.sum(h**2)


def rnn_hand(W, U, h0, x):
    """Backprop through time: forward with the states saved, backward loop.

    What a skilled person writes: the input projections of all steps are one
    GEMM (x @ U.T) before the loop, the backward loop only carries dh, and the
    weight gradients are two GEMMs over the stacked per-step adjoints after it
    (instead of one outer product per step).
    """
    steps = x.shape[0]
    xu = x @ U.T  # (T, hidden): U @ x[t] for every t at once
    hs = np.empty((steps + 1, h0.shape[0]))
    hs[0] = h0
    h = h0
    for t in range(steps):
        h = np.tanh(W @ h + xu[t])
        hs[t + 1] = h
    da = np.empty((steps, h0.shape[0]))  # d loss / d (pre-activation) per step
    dh = 2.0 * h
    wt = W.T
    for t in range(steps - 1, -1, -1):
        h_t = hs[t + 1]
        g = dh * (1.0 - h_t * h_t)
        da[t] = g
        dh = wt @ g
    return da.T @ hs[:-1], da.T @ x, dh


def rnn_hand_per_step(W, U, h0, x):
    """The textbook BPTT (list of saved states, outer products accumulated per step).

    Informational only (not the baseline of the targets): shows how much of
    the gap to the baseline is the batching of the weight gradients.
    """
    hs = [h0]
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + U @ x[t])
        hs.append(h)
    dW = np.zeros_like(W)
    dU = np.zeros_like(U)
    dh = 2.0 * h
    for t in range(x.shape[0] - 1, -1, -1):
        h_t = hs[t + 1]
        g = dh * (1.0 - h_t * h_t)
        dW += np.outer(g, hs[t])
        dU += np.outer(g, x[t])
        dh = W.T @ g
    return dW, dU, dh


def rnn_f_anp(W, U, h0, x):
    h = h0
    for t in range(x.shape[0]):
        h = anp.tanh(anp.dot(W, h) + anp.dot(U, x[t]))
    return anp.sum(h**2)


def rnn_f_torch(W, U, h0, x):
    h = h0
    for t in range(x.shape[0]):
        h = torch.tanh(W @ h + U @ x[t])
    return torch.sum(h**2)


def rnn_problem(T=50, hidden=32, inp=16, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((hidden, hidden)) * (0.9 / np.sqrt(hidden))
    U = rng.standard_normal((hidden, inp)) * (0.5 / np.sqrt(inp))
    h0 = 0.1 * rng.standard_normal(hidden)
    x = rng.standard_normal((T, inp))
    args = (W, U, h0, x)

    ag = autograd.grad(rnn_f_anp, argnum=(0, 1, 2))
    xt = torch.from_numpy(x)

    def torch_grad():
        ps = [torch.from_numpy(p).requires_grad_() for p in (W, U, h0)]
        rnn_f_torch(*ps, xt).backward()
        return tuple(p.grad.numpy() for p in ps)

    return dict(
        key="rnn",
        title=f"Problem 1: RNN h = tanh(W h + U x[t]), T = {T}, hidden {hidden}, input {inp}, wrt (W, U, h0)",
        primal=rnn_f,
        args=args,
        wrt=(0, 1, 2),
        names=("W", "U", "h0"),
        hand=lambda: rnn_hand(*args),
        autograd=lambda: ag(*args),
        torch=torch_grad,
        extra={"hand-written, per-step outer products (info)": lambda: rnn_hand_per_step(*args)},
    )


# ===========================================================================
# Problem 2: 1000-step Euler integration of a damped oscillator (Python floats)
# ===========================================================================


def ode_f(k, c, x0, v0, dt):
    x = x0
    v = v0
    for i in range(1000):  # noqa: B007 - the loop as a user writes it
        a = -k * x - c * v
        x = x + dt * v
        v = v + dt * a
    return x * x + v * v


def ode_hand(k, c, x0, v0, dt):
    """Reverse sweep over the saved states (two lists of Python floats).

    One step maps (x, v) -> (x + dt v, v + dt (-k x - c v)); its transpose
    gives xb <- xb - dt k vb, vb <- dt xb + (1 - dt c) vb, and the parameter
    adjoints pick up -dt vb x and -dt vb v.
    """
    xs = []
    vs = []
    x = x0
    v = v0
    for i in range(1000):  # noqa: B007 - the loop as a user writes it
        xs.append(x)
        vs.append(v)
        x, v = x + dt * v, v + dt * (-k * x - c * v)
    xb = 2.0 * x
    vb = 2.0 * v
    kb = 0.0
    cb = 0.0
    dtk = dt * k
    one_dtc = 1.0 - dt * c
    for xi, vi in zip(reversed(xs), reversed(vs)):
        kb -= vb * xi
        cb -= vb * vi
        xb, vb = xb - dtk * vb, dt * xb + one_dtc * vb
    return kb * dt, cb * dt


def ode_f_anp(k, c, x0, v0, dt):  # autograd boxes Python floats as they are
    x = x0
    v = v0
    for i in range(1000):  # noqa: B007 - the loop as a user writes it
        a = -k * x - c * v
        x = x + dt * v
        v = v + dt * a
    return x * x + v * v


def ode_problem(k=4.0, c=0.3, x0=1.0, v0=0.0, dt=0.01):
    args = (k, c, x0, v0, dt)
    ag = autograd.grad(ode_f_anp, argnum=(0, 1))

    def torch_grad():
        kt = torch.tensor(k, dtype=torch.float64, requires_grad=True)
        ct = torch.tensor(c, dtype=torch.float64, requires_grad=True)
        ode_f_anp(kt, ct, x0, v0, dt).backward()  # the same Python code runs on 0-d tensors
        return kt.grad.item(), ct.grad.item()

    return dict(
        key="ode",
        title="Problem 2: 1000-step explicit Euler, damped oscillator, Python floats, wrt (k, c)",
        primal=ode_f,
        args=args,
        wrt=(0, 1),
        names=("k", "c"),
        hand=lambda: ode_hand(*args),
        autograd=lambda: ag(*args),
        torch=torch_grad,
    )


# ===========================================================================
# Problem 3: while-loop Newton iteration, data-dependent trip count
# ===========================================================================


def newton_f(p, q):
    x = 1.0
    fx = x**3 + p * x - q
    while abs(fx) >= 1e-12:
        x = x - fx / (3.0 * x * x + p)
        fx = x**3 + p * x - q
    return x


def newton_hand(p, q):
    """Implicit function theorem: at the root x**3 + p x - q = 0, so
    dx/dp = -x / (3 x**2 + p) and dx/dq = 1 / (3 x**2 + p).  The solve itself
    is part of the gradient's cost; nothing is saved."""
    x = 1.0
    fx = x**3 + p * x - q
    while abs(fx) >= 1e-12:
        x = x - fx / (3.0 * x * x + p)
        fx = x**3 + p * x - q
    inv = 1.0 / (3.0 * x * x + p)
    return -x * inv, inv


def newton_reverse_reference(p, q):
    """Reverse mode through the iterations, by hand (the derivative of the
    program as written): a second reference for the gate, so the tools are
    held to the exact derivative of the iteration as well, and an
    informational row (what mechanical reverse mode costs at best)."""
    x = 1.0
    fx = x**3 + p * x - q
    xs = []
    while abs(fx) >= 1e-12:
        xs.append(x)
        x = x - fx / (3.0 * x * x + p)
        fx = x**3 + p * x - q
    # step: x' = x - f(x)/d(x), f = x^3 + p x - q, d = 3x^2 + p
    # dx'/dx = 1 - (d*d - f*6x)/d^2 = f*6x/d^2 ; dx'/dp = -x/d + f/d^2 ; dx'/dq = 1/d
    xb, pb, qb = 1.0, 0.0, 0.0
    for xi in reversed(xs):
        f = xi**3 + p * xi - q
        d = 3.0 * xi * xi + p
        pb += xb * (-xi / d + f / (d * d))
        qb += xb / d
        xb = xb * f * 6.0 * xi / (d * d)
    return pb, qb


def newton_trips(p, q):
    x, n = 1.0, 0
    fx = x**3 + p * x - q
    while abs(fx) >= 1e-12:
        x = x - fx / (3.0 * x * x + p)
        fx = x**3 + p * x - q
        n += 1
    return n


def newton_problem(p=0.5, q=30.0):
    args = (p, q)
    ag = autograd.grad(newton_f, argnum=(0, 1))  # plain Python arithmetic: autograd boxes it

    def autograd_grad():
        gp, gq = ag(p, q)
        return float(gp), float(gq)  # autograd hands back 0-d arrays

    def torch_grad():
        pt = torch.tensor(p, dtype=torch.float64, requires_grad=True)
        qt = torch.tensor(q, dtype=torch.float64, requires_grad=True)
        newton_f(pt, qt).backward()  # abs(fx) >= 1e-12 turns into a Python bool each trip
        return pt.grad.item(), qt.grad.item()

    return dict(
        key="newton",
        title=(
            f"Problem 3: while-loop Newton for x**3 + p x - q = 0, p = {p}, q = {q} "
            f"({newton_trips(p, q)} trips from x = 1), wrt (p, q); hand-written: implicit function theorem"
        ),
        primal=newton_f,
        args=args,
        wrt=(0, 1),
        names=("p", "q"),
        hand=lambda: newton_hand(*args),
        autograd=autograd_grad,
        torch=torch_grad,
        reference=("reverse mode through the iterations by hand", lambda: newton_reverse_reference(*args)),
        extra={"hand-written, reverse through the iterations (info)": lambda: newton_reverse_reference(*args)},
        fd_eps=1e-5,
    )


# ===========================================================================
# Problem 4: the public BuildingSimulation benchmark (PassiveLogic)
# ===========================================================================
#
# A hot-water tank feeds water ("quanta") through PEX tubing in a concrete
# slab.  Each 0.1 s step: the tank heats the water passing through it, the
# water temperature rises accordingly, the water exchanges heat with the slab
# through the tube wall, the water temperature drops accordingly, and the
# slab temperature changes by the power it received.  The benchmark's loss
# is |T_slab - 27.344767| after 20 steps, and its gradient is taken with
# respect to every parameter of the simulation.  Written from the model's
# description in one function on Python floats (float64; the Swift original
# uses Float32), with the helper functions inlined and the loop-invariant
# quantities (tube resistance, masses) computed inside the loop where the
# original's helpers compute them.

BUILDING_PARAMS = (
    ("tube_spacing", 0.50292),  # m
    ("tube_diameter", 0.019),  # m
    ("tube_thickness", 0.001588),  # m
    ("tube_resistivity", 2.43),  # (K/W) m
    ("slab_area", 100.0),  # m^2
    ("slab_cp", 0.2),
    ("slab_density", 2242.58),  # kg/m^3
    ("slab_thickness", 0.101),  # m
    ("quanta_temp", 60.0),  # deg C, water entering
    ("quanta_flow", 0.0006309),  # m^3/s
    ("quanta_density", 1000.0),  # kg/m^3
    ("quanta_cp", 4180.0),  # J/(kg K)
    ("tank_temp", 70.0),  # deg C
    ("tank_volume", 0.0757082),  # m^3
    ("tank_cp", 4180.0),
    ("tank_density", 1000.0),
    ("starting_temp", 33.3),  # deg C, slab
)


def building_f(
    tube_spacing,
    tube_diameter,
    tube_thickness,
    tube_resistivity,
    slab_area,
    slab_cp,
    slab_density,
    slab_thickness,
    quanta_temp,
    quanta_flow,
    quanta_density,
    quanta_cp,
    tank_temp,
    tank_volume,
    tank_cp,
    tank_density,
    starting_temp,
):
    dt = 0.1
    slab_temp = starting_temp
    water_temp = quanta_temp
    store_temp = tank_temp
    for i in range(20):  # noqa: B007 - the loop as a user writes it
        # the tank heats the water flowing through it
        mass_per_time = quanta_flow * quanta_density
        power = (store_temp - water_temp) * mass_per_time * quanta_cp
        tank_mass = tank_volume * tank_density
        store_temp = store_temp + power * dt / tank_cp / tank_mass
        # the water's temperature rises by the energy it took up
        working_mass = quanta_flow * dt * quanta_density
        water_temp = water_temp + power * dt / quanta_cp / working_mass
        # heat exchange with the slab through the tube wall
        tubing_area = slab_area / tube_spacing * math.pi * tube_diameter
        resistance = tube_resistivity * tube_thickness / tubing_area * 10.0
        conductance = 1.0 / resistance
        power = (slab_temp - water_temp) * conductance
        water_temp = water_temp + power * dt / quanta_cp / working_mass
        # the slab receives the opposite power
        slab_mass = slab_area * slab_thickness * slab_density
        slab_temp = slab_temp + (-power) * dt / slab_cp / slab_mass
    diff = slab_temp - 27.344767
    if diff < 0.0:  # noqa: SIM108 - a branch on purpose (the original abs)
        loss = -diff
    else:
        loss = diff
    return loss


def building_hand(
    tube_spacing,
    tube_diameter,
    tube_thickness,
    tube_resistivity,
    slab_area,
    slab_cp,
    slab_density,
    slab_thickness,
    quanta_temp,
    quanta_flow,
    quanta_density,
    quanta_cp,
    tank_temp,
    tank_volume,
    tank_cp,
    tank_density,
    starting_temp,
):
    """Reverse mode by hand: invariants hoisted out of the loop, four floats
    saved per step, the adjoints of the invariants accumulated in the
    backward loop and pushed to the parameters once after it."""
    dt = 0.1
    # loop invariants
    mass_per_time = quanta_flow * quanta_density
    m1 = mass_per_time * quanta_cp  # power1 = (tank - water) * m1
    tank_mass = tank_volume * tank_density
    den_tank = tank_cp * tank_mass
    a_tank = dt / den_tank  # tank += power1 * a_tank
    working_mass = quanta_flow * dt * quanta_density
    den_q = quanta_cp * working_mass
    a_q = dt / den_q  # water += power * a_q
    tubing_area = slab_area / tube_spacing * math.pi * tube_diameter
    resistance = tube_resistivity * tube_thickness / tubing_area * 10.0
    cond = 1.0 / resistance
    slab_mass = slab_area * slab_thickness * slab_density
    den_s = slab_cp * slab_mass
    a_s = dt / den_s  # slab -= power2 * a_s
    # forward, saving what the backward sweep reads
    st = starting_temp
    wt = quanta_temp
    tt = tank_temp
    saved = []
    for i in range(20):  # noqa: B007 - the loop as a user writes it
        d1 = tt - wt
        p1 = d1 * m1
        tt = tt + p1 * a_tank
        wm = wt + p1 * a_q
        d2 = st - wm
        p2 = d2 * cond
        wt = wm + p2 * a_q
        st = st - p2 * a_s
        saved.append((d1, p1, d2, p2))
    # loss = |st - target|
    st_b = 1.0 if st - 27.344767 >= 0.0 else -1.0
    wt_b = 0.0
    tt_b = 0.0
    m1_b = a_tank_b = a_q_b = cond_b = a_s_b = 0.0
    for d1, p1, d2, p2 in reversed(saved):
        # st' = st - p2 a_s ; wt' = wm + p2 a_q
        p2_b = wt_b * a_q - st_b * a_s
        a_s_b -= st_b * p2
        a_q_b += wt_b * p2
        wm_b = wt_b
        # p2 = (st - wm) cond
        st_b += p2_b * cond
        wm_b -= p2_b * cond
        cond_b += p2_b * d2
        # wm = wt + p1 a_q ; tt' = tt + p1 a_tank
        p1_b = wm_b * a_q + tt_b * a_tank
        a_q_b += wm_b * p1
        a_tank_b += tt_b * p1
        # p1 = (tt - wt) m1
        tt_b += p1_b * m1
        wt_b = wm_b - p1_b * m1
        m1_b += p1_b * d1
    # invariants -> parameters
    g_flow = g_qdens = g_qcp = 0.0
    g_qcp += m1_b * mass_per_time
    mpt_b = m1_b * quanta_cp
    g_flow += mpt_b * quanta_density
    g_qdens += mpt_b * quanta_flow
    den_tank_b = -a_tank_b * a_tank / den_tank
    g_tcp = den_tank_b * tank_mass
    tank_mass_b = den_tank_b * tank_cp
    g_tvol = tank_mass_b * tank_density
    g_tdens = tank_mass_b * tank_volume
    den_q_b = -a_q_b * a_q / den_q
    g_qcp += den_q_b * working_mass
    wmass_b = den_q_b * quanta_cp
    g_flow += wmass_b * dt * quanta_density
    g_qdens += wmass_b * quanta_flow * dt
    res_b = -cond_b * cond * cond
    g_res = res_b * resistance / tube_resistivity
    g_thick = res_b * resistance / tube_thickness
    area_b = -res_b * resistance / tubing_area
    g_spacing = -area_b * tubing_area / tube_spacing
    g_diam = area_b * tubing_area / tube_diameter
    den_s_b = -a_s_b * a_s / den_s
    g_scp = den_s_b * slab_mass
    smass_b = den_s_b * slab_cp
    g_sarea = area_b * tubing_area / slab_area + smass_b * slab_thickness * slab_density
    g_sthick = smass_b * slab_area * slab_density
    g_sdens = smass_b * slab_area * slab_thickness
    return (
        g_spacing,
        g_diam,
        g_thick,
        g_res,
        g_sarea,
        g_scp,
        g_sdens,
        g_sthick,
        wt_b,
        g_flow,
        g_qdens,
        g_qcp,
        tt_b,
        g_tvol,
        g_tcp,
        g_tdens,
        st_b,
    )


def building_problem():
    names = tuple(n for n, _ in BUILDING_PARAMS)
    args = tuple(v for _, v in BUILDING_PARAMS)
    idx = tuple(range(len(args)))
    ag = autograd.grad(building_f, argnum=idx)  # plain arithmetic: runs on boxes

    def autograd_grad():
        return tuple(float(g) for g in ag(*args))

    def torch_grad():
        ps = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in args]
        building_f(*ps).backward()  # and on 0-d tensors
        return tuple(p.grad.item() for p in ps)

    return dict(
        key="building",
        title=(
            "Problem 4: public BuildingSimulation benchmark (tank -> PEX tube -> slab), 20 steps of 0.1 s, "
            "loss |T_slab - 27.344767|, Python floats, wrt all 17 parameters"
        ),
        primal=building_f,
        args=args,
        wrt=idx,
        names=names,
        hand=lambda: building_hand(*args),
        autograd=autograd_grad,
        torch=torch_grad,
        fd_eps=1e-4,  # relative steps: at 1e-6 rounding dominates for the small sensitivities
    )


# ===========================================================================
# Problem 5: heating schedule on a simplified single-zone building model
# ===========================================================================


def heating_f(heating, T_out, price, T0, dt, C, R, w, T_target):
    T = T0
    cost = 0.0
    for t in range(20):
        T = T + dt / C * ((T_out[t] - T) / R + heating[t])
        cost = cost + price[t] * heating[t] + w * (T - T_target) ** 2
    return cost


def heating_hand(heating, T_out, price, T0, dt, C, R, w, T_target):
    """Forward on Python floats saving T after each step; backward carries
    lam = d cost / d T (after step t); d cost / d heating[t] = price[t] + dt/C lam."""
    a = dt / C
    decay = 1.0 - a / R  # dT'/dT
    T = T0
    Ts = []
    for To, h in zip(T_out.tolist(), heating.tolist()):
        T = T + a * ((To - T) / R + h)
        Ts.append(T)
    lam = 0.0
    lams = []
    two_w = 2.0 * w
    for T in reversed(Ts):
        lam = two_w * (T - T_target) + decay * lam
        lams.append(lam)
    lams.reverse()
    return price + a * np.array(lams)


def heating_hand_indexing(heating, T_out, price, T0, dt, C, R, w, T_target):
    """The same algorithm, reading the arrays element by element as the primal
    does (NumPy scalars).  Informational only: the price of x[t] on arrays."""
    a = dt / C
    decay = 1.0 - a / R
    T = T0
    Ts = []
    for t in range(20):
        T = T + a * ((T_out[t] - T) / R + heating[t])
        Ts.append(T)
    g = np.empty(20)
    lam = 0.0
    for t in range(19, -1, -1):
        lam = 2.0 * w * (Ts[t] - T_target) + decay * lam
        g[t] = price[t] + a * lam
    return g


def heating_f_anp(heating, T_out, price, T0, dt, C, R, w, T_target):
    T = T0
    cost = 0.0
    for t in range(20):
        T = T + dt / C * ((T_out[t] - T) / R + heating[t])
        cost = cost + price[t] * heating[t] + w * (T - T_target) ** 2
    return cost


def heating_problem(seed=4):
    rng = np.random.default_rng(seed)
    hours = np.arange(20)
    T_out = 5.0 + 4.0 * np.sin(2 * np.pi * (hours - 8) / 24) + 0.5 * rng.standard_normal(20)  # deg C
    price = 0.25 + 0.1 * np.cos(2 * np.pi * (hours - 18) / 24)  # per kWh
    heating = 2.0 + rng.random(20)  # kW
    T0, dt, C, R, w, T_target = 18.0, 1.0, 10.0, 2.0, 0.5, 21.0  # deg C, h, kWh/K, K/kW, -, deg C
    args = (heating, T_out, price, T0, dt, C, R, w, T_target)
    ag = autograd.grad(heating_f_anp, argnum=0)
    T_out_t, price_t = torch.from_numpy(T_out), torch.from_numpy(price)

    def torch_grad():
        ht = torch.from_numpy(heating).requires_grad_()
        heating_f_anp(ht, T_out_t, price_t, T0, dt, C, R, w, T_target).backward()
        return ht.grad.numpy()

    return dict(
        key="heating",
        title=(
            "Problem 5: heating schedule, single-zone building model, 20 steps, cost = sum price[t] heating[t] "
            "+ w (T - T_target)**2 in the loop, wrt heating (length-20 array)"
        ),
        primal=heating_f,
        args=args,
        wrt=0,
        names=("heating",),
        hand=lambda: (heating_hand(*args),),
        autograd=lambda: (ag(*args),),
        torch=lambda: (torch_grad(),),
        extra={"hand-written, NumPy-scalar indexing (info)": lambda: (heating_hand_indexing(*args),)},
    )


PROBLEMS = {
    "rnn": rnn_problem,
    "ode": ode_problem,
    "newton": newton_problem,
    "building": building_problem,
    "heating": heating_problem,
}


# ===========================================================================
# Checking
# ===========================================================================


# ===========================================================================
# Line profile of the generated gradient
# ===========================================================================


class _Instrument(ast.NodeTransformer):
    """Wrap every simple statement of the generated function in a timer.

    Each statement S becomes ``t0 = pc(); t1 = pc(); S; t2 = pc()``; the
    sample ``t2 - t1`` is kept per line and ``t1 - t0`` (a bare timer call)
    in one pool, whose low percentile is the timer cost subtracted (see
    profile_generated).  ``for`` / ``while`` / ``try`` headers and ``return``
    are not timed.
    """

    def __init__(self):
        self.lines = {}

    def _wrap(self, stmts):
        out = []
        for s in stmts:
            if isinstance(s, (ast.For, ast.While, ast.If, ast.Try)):
                out.append(self.visit(s))
                continue
            if isinstance(s, ast.Return) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)):
                out.append(s)  # generated returns are tuples of names; docstrings
                continue
            self.lines[s.lineno] = ast.unparse(s)
            pre = ast.parse("__t0 = __pc()\n__t1 = __pc()").body
            post = ast.parse(
                f"__t2 = __pc()\n__samples[{s.lineno}].append(__t2 - __t1)\n__timer.append(__t1 - __t0)"
            ).body
            out.extend([*pre, s, *post])
        return out

    def visit_FunctionDef(self, node):
        node.body = self._wrap(node.body)
        return node

    def visit_For(self, node):
        node.body = self._wrap(node.body)
        node.orelse = self._wrap(node.orelse)
        return node

    visit_While = visit_For
    visit_If = visit_For

    def visit_Try(self, node):  # the version reading vectors as Python floats runs inside `try`
        node.body = self._wrap(node.body)
        for handler in node.handlers:
            handler.body = self._wrap(handler.body)
        return node


def _statement_kind(text):
    """A coarse category for one generated statement."""
    target, _, value = text.partition(" = ")
    if ".append(" in text or ".pop()" in text or value == "[]":
        return "tape: stack append / pop"
    if target.startswith("saved") and value.startswith("("):
        return "tape: build the saved tuple"
    if value.startswith("saved"):
        return "tape: read the saved tuple (one subscript per value)"
    for helper in (
        "unbroadcast",
        "getitem_adjoint",
        "zeros_like",
        "unreduce",
        "matmul_lhs_adjoint",
        "matmul_rhs_adjoint",
        "ensure_differentiable",
        "ensure_scalar",
    ):
        if helper + "(" in value or (helper + "(" in text and not value):
            return f"runtime helper {helper}()"
    if "np." in value or "@" in value:
        return "NumPy function / matmul"
    if "[" in value:
        return "indexing (x[t], shapes)"
    if value and all(ch.isidentifier() or ch == "_" for ch in value.replace("_", "a")):
        return "plain copy a = b"
    return "arithmetic on values"


def _compile_variant(df, tree):
    """Compile an AST of df's generated function with df's globals and closure helpers."""
    ns = dict(df.__globals__)
    for name, cell in zip(df.__code__.co_freevars, df.__closure__ or (), strict=True):
        ns[name] = cell.cell_contents
    return ns, tree.body[0].name, compile(tree, "<variant of the generated gradient>", "exec")


class _DropUnbroadcast(ast.NodeTransformer):
    """unbroadcast(g, x) -> g (a what-if: valid only where g already has x's shape)."""

    def __init__(self):
        self.count = 0

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "unbroadcast" and len(node.args) == 2:
            self.count += 1
            return node.args[0]
        return node


def profile_generated(df, prob, per_call_ns, samples, target_ms, out=print):
    """Time every line of df's generated source and print where the time goes.

    The lines are timed in an instrumented copy (same globals and closure
    helpers, see _Instrument), 7 rounds, each next to a timing of the real
    function.  Per line: the trimmed mean of its executions (an execution over
    10x the line's median + 2 µs was interrupted by another process and is
    left out) minus the timer's own cost (1st percentile of the bare timer
    calls).  The timer serializes the CPU around every statement, so the
    instrumented copy runs slower than the real function, cheap statements
    most: the table gives each line's share of the instrumented time and
    scales it to the real function's time.  It says where the time goes, not
    exactly how much each line saves; the interleaved what-if after it
    measures one saving directly.
    """
    args = prob["args"]
    tree = ast.parse(df.source)
    inst = _Instrument()
    tree = inst.visit(tree)
    ast.fix_missing_locations(tree)
    ns, name, code = _compile_variant(df, tree)
    samples_ns = defaultdict(list)
    timer_ns = []
    ns.update(__pc=time.perf_counter_ns, __samples=samples_ns, __timer=timer_ns)
    exec(code, ns)
    fn = ns[name]

    rounds = 7
    repeats = max(3, min(2000, int(0.03e9 / max(per_call_ns, 1.0))))
    totals = []
    fn(*args)
    samples_ns.clear()
    timer_ns.clear()
    for _ in range(rounds):
        df(*args)
        t0 = time.perf_counter_ns()
        for _ in range(repeats):
            df(*args)
        totals.append((time.perf_counter_ns() - t0) / repeats)
        for _ in range(repeats):
            fn(*args)
    total = statistics.median(totals)
    calls = rounds * repeats
    timer_ns.sort()
    timer_cost = timer_ns[len(timer_ns) // 100] if timer_ns else 0
    raw = {}
    n_all = n_dropped = 0
    for line in inst.lines:
        xs = samples_ns.get(line, [])
        runs = len(xs) / calls
        if not xs:
            raw[line] = (0.0, 0.0)
            continue
        cut = 10 * statistics.median(xs) + 2000
        ok = [x for x in xs if x <= cut]
        n_all += len(xs)
        n_dropped += len(xs) - len(ok)
        raw[line] = (max(statistics.fmean(ok) - timer_cost, 0.0) * runs, runs)
    instrumented = sum(t for t, _ in raw.values()) or 1.0
    dropped = n_dropped / max(n_all, 1)
    rows = sorted(((t / instrumented, runs, ln, inst.lines[ln]) for ln, (t, runs) in raw.items()), reverse=True)
    out(
        f"\nLine profile of adtransform's generated gradient ({rounds} rounds of {repeats} calls of an "
        f"instrumented copy; timer cost {timer_cost} ns subtracted per statement; {100 * dropped:.2f}% of "
        f"executions left out as interrupted; the statements took {instrumented / 1e3:.1f} µs per call "
        f"instrumented, the real function {total / 1e3:.1f} µs (median round); 'scaled µs' = share x the "
        "real time):\n"
    )
    out("| share | scaled µs/call | runs/call | line | statement |")
    out("|---:|---:|---:|---:|---|")
    for share, c, line, text in rows[:12]:
        short = text if len(text) <= 80 else text[:77] + "..."
        out(f"| {100 * share:.1f}% | {share * total / 1e3:.2f} | {c:g} | {line} | `{short.replace('|', '/')}` |")
    kinds = defaultdict(lambda: [0.0, 0.0])
    for share, c, _line, text in rows:
        k = kinds[_statement_kind(text)]
        k[0] += share
        k[1] += c
    out("\nBy kind of statement:\n")
    out("| kind | share | scaled µs/call | statement runs/call |")
    out("|---|---:|---:|---:|")
    for kind, (share, c) in sorted(kinds.items(), key=lambda kv: -kv[1][0]):
        out(f"| {kind} | {100 * share:.1f}% | {share * total / 1e3:.2f} | {c:g} |")

    # What-if: the same gradient without its unbroadcast() calls.
    drop = _DropUnbroadcast()
    tree2 = drop.visit(ast.parse(df.source))
    ast.fix_missing_locations(tree2)
    if not drop.count:
        return
    ns2, name2, code2 = _compile_variant(df, tree2)
    exec(code2, ns2)
    fn2 = ns2[name2]
    want = timing.as_tuple(df(*args), len(prob["names"]))
    try:
        timing.compare_gradients(prob, "without unbroadcast", fn2(*args), want, rtol=0.0, atol=0.0)
    except Exception as exc:  # a what-if only: any failure means not comparable
        out(f"\nWhat-if without the {drop.count} unbroadcast() calls: not comparable ({type(exc).__name__}).")
        return
    res = timing.interleaved(
        {"generated": lambda: df(*args), "generated minus unbroadcast()": lambda: fn2(*args)},
        samples=samples,
        target_ms=target_ms,
    )
    a, b = res["generated"].median, res["generated minus unbroadcast()"].median
    out(
        f"\nWhat-if: the generated source with its {drop.count} unbroadcast() call sites replaced by their "
        f"first argument (identical gradient here: every operand already has its target's shape) runs in "
        f"{timing.format_ns(b)} instead of {timing.format_ns(a)} (median of {samples} interleaved samples): "
        f"unbroadcast() costs {100 * (a - b) / a:.0f}% of the gradient."
    )


# ===========================================================================
# Main
# ===========================================================================

TOOLS = ("adtransform", "hand-written", "autograd", "torch")


def _ad_failure(prob, df, what):
    lines = [f"ABORT [{prob['key']}]: adtransform {what}"]
    if df is not None:
        lines.append("adtransform generated source:\n```python\n" + df.source.rstrip() + "\n```")
    return "\n".join(lines)


def run_problem(prob, a, log):
    print(f"\n### {prob['title']}\n")
    callables = {"primal": (lambda f=prob["primal"], args=prob["args"]: f(*args))}
    fd_err, per_entry = timing.check_hand_against_fd(prob)
    where = "random direction and every entry" if per_entry else "random direction"
    checks = [f"hand-written vs central finite differences ({where}): rel. err {fd_err:.1e}"]
    want = timing.as_tuple(prob["hand"](), len(prob["names"]))
    if "reference" in prob:
        ref_name, ref = prob["reference"]
        err = timing.compare_gradients(prob, "hand-written", want, timing.as_tuple(ref(), len(want)))
        checks.append(f"hand-written vs {ref_name}: rel. err {err:.1e}")

    df = None
    if ad is not None:
        try:
            df = ad.grad(prob["primal"], wrt=prob["wrt"])
        except Exception as exc:
            raise timing.BenchmarkAbort(
                f"ABORT [{prob['key']}]: adtransform.grad raised:\n" + "".join(traceback.format_exception(exc))
            ) from exc
        args = prob["args"]
        callables["adtransform"] = lambda df=df, args=args: df(*args)
        if a.show_source:
            print("adtransform generated source:\n```python")
            print(df.source.rstrip())
            print("```\n")
    callables["hand-written"] = prob["hand"]
    callables["autograd"] = prob["autograd"]
    callables["torch"] = prob["torch"]
    extra = prob.get("extra", {})
    callables.update(extra)

    for tool in (*TOOLS, *extra):
        if tool not in callables:
            continue
        try:
            got = callables[tool]()
        except Exception as exc:
            msg = f"raised while computing the gradient:\n{''.join(traceback.format_exception(exc))}"
            if tool == "adtransform":
                raise timing.BenchmarkAbort(_ad_failure(prob, df, msg)) from exc
            raise timing.BenchmarkAbort(f"ABORT [{prob['key']}]: {tool} {msg}") from exc
        try:
            err = timing.compare_gradients(prob, tool, got, want)
            if "reference" in prob and tool != "hand-written":
                timing.compare_gradients(prob, tool, got, timing.as_tuple(prob["reference"][1](), len(want)))
        except timing.BenchmarkAbort as exc:
            if tool == "adtransform":
                raise timing.BenchmarkAbort(_ad_failure(prob, df, f"gives a wrong gradient:\n{exc}")) from exc
            raise
        if tool != "hand-written":
            checks.append(f"{tool}: max rel. err {err:.1e}")
    print(f"Gradient check (rtol={timing.RTOL}, atol={timing.ATOL}) OK - " + "; ".join(checks))
    print()

    res = timing.interleaved(callables, samples=a.samples, target_ms=a.target_ms, progress=log)
    medians = timing.print_table(res, ("primal", *TOOLS, *extra))
    if a.profile and df is not None:
        profile_generated(df, prob, res["adtransform"].median, a.samples, a.target_ms)
    return medians


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    timing.add_common_arguments(p)
    p.add_argument("--problems", default=",".join(PROBLEMS), help="comma-separated subset of: " + ",".join(PROBLEMS))
    p.add_argument("--show-source", action="store_true", help="print adtransform's generated gradient per problem")
    p.add_argument(
        "--profile", action="store_true", help="time every line of adtransform's generated gradient per problem"
    )
    a = p.parse_args(argv)
    wanted = [s.strip() for s in a.problems.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in PROBLEMS]
    if unknown:
        p.error(f"unknown problem(s): {unknown}")
    modules = ("autograd", "torch") + (("adtransform",) if ad is not None else ())
    log = timing.setup("adtransform control-flow benchmark", a, torch, modules, AD_IMPORT_ERROR)

    summary = {}
    for key in wanted:
        summary[key] = run_problem(PROBLEMS[key](), a, log)

    print("\n### Summary\n")
    print(f"Load average (1/5/15 min) at the end: {timing.load_average()}\n")
    if ad is None:
        print("adtransform not available - targets not evaluated.")
        return 0
    print(f"| problem | adtransform / hand-written | target <= {TARGET_RATIO} | vs autograd | vs torch |")
    print("|---|---:|---|---:|---:|")
    ok_all = True
    fails = []
    for key in wanted:
        m = summary[key]
        r = m["adtransform"] / m["hand-written"]
        ok_r = r <= TARGET_RATIO
        ok_ag = m["adtransform"] < m["autograd"]
        ok_t = m["adtransform"] < m["torch"]
        ok_all &= ok_r and ok_ag and ok_t
        shaky = " (noisy)" if m["_noisy"] & {"adtransform", "hand-written"} else ""
        print(
            f"| {key} | {r:.2f}{shaky} | {'PASS' if ok_r else 'FAIL'} "
            f"| {m['autograd'] / m['adtransform']:.1f}x faster {'PASS' if ok_ag else 'FAIL'} "
            f"| {m['torch'] / m['adtransform']:.1f}x faster {'PASS' if ok_t else 'FAIL'} |"
        )
        if not ok_r:
            fails.append(f"{key} ratio {r:.2f} > {TARGET_RATIO}")
        if not ok_ag:
            fails.append(f"{key} slower than autograd")
        if not ok_t:
            fails.append(f"{key} slower than torch")
    noisy_any = any(summary[k]["_noisy"] for k in wanted)
    print(
        f"\nTargets (adtransform / hand-written <= {TARGET_RATIO} on every problem; adtransform faster than "
        f"autograd and PyTorch eager on every problem): "
        + ("ALL TARGETS MET" if ok_all else "SOME TARGETS MISSED: " + "; ".join(fails))
        + (" (some samples were noisy: rerun on a quiet machine before trusting this)" if noisy_any else "")
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except timing.BenchmarkAbort as exc:
        print(f"\n{exc.code}", file=sys.stderr)
        sys.exit(1)
