#!/usr/bin/python3
"""Drivers of the interop CTest tests (tests/interop/CMakeLists.txt).

usage: interop_test.py TEST --attnref BIN --work DIR

  torch-fp64           attnref gen -> ref -> torch_model.py -> check fp64: pass,
                       for configs that together cover every model feature
  torch-bug BUG        the same with a planted bug: check must exit 1
  third-party-exact    third_party_case.py -> attnref ref -> peer_mpmath.py
                       (dps 60): every double of the truth equal bit for bit
  torch-vs-peer        third_party_case.py --config -> torch_model.py and
                       peer_mpmath.py agree (no attnref involved)

Every failure prints the config and seed it ran with.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PY = sys.executable
TORCH_MODEL = os.path.join(HERE, "torch_model.py")
THIRD_PARTY = os.path.join(HERE, "third_party_case.py")
COMPARE = os.path.join(HERE, "compare.py")
PEER = os.path.join(ROOT, "ref", "peer_mpmath.py")

# Together these cover: heads 1/2/4, causal on/off, residual on/off, norm
# none/layernorm/rmsnorm, MLP none/relu/gelu, each loss, explicit scale.
CONFIGS = [
    {"n": 7, "d": 6, "heads": 3, "layers": 2, "causal": False, "residual": False,
     "norm": "rmsnorm", "mlp": 4, "activation": "relu", "loss": "mse"},
    {"n": 5, "d": 4, "heads": 1, "layers": 3, "causal": True, "norm": "none",
     "loss": "linear", "scale": 0.3},
    {"n": 6, "d": 8, "heads": 2, "layers": 2, "causal": True, "residual": True,
     "norm": "layernorm", "norm_eps": 0.01, "mlp": 3, "activation": "gelu",
     "loss": "linear"},
    {"n": 8, "d": 8, "heads": 4, "layers": 2, "residual": False, "norm": "layernorm",
     "mlp": 6, "activation": "gelu", "loss": "xent", "vocab": 7},
    {"n": 9, "d": 4, "heads": 2, "layers": 1, "causal": True, "norm": "rmsnorm",
     "mlp": 5, "activation": "relu", "loss": "xent", "vocab": 3},
]
SEED = 7
BOUND = "1"


def run(cmd, ok=(0,)):
    """Runs cmd; returns its exit code, raising if it is not one of ok."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if p.returncode not in ok:
        raise RuntimeError(f"exit {p.returncode}: {' '.join(cmd)}\n{p.stdout}")
    return p.returncode, p.stdout


def truth_and_candidate(a, i, cfg, bug=None):
    base = os.path.join(a.work, f"c{i}")
    case, truth, cand = base + ".case.st", base + ".truth.st", base + ".torch.st"
    run([a.attnref, "gen", "--config", json.dumps(cfg), "--seed", str(SEED),
         "--bound", BOUND, "-o", case])
    run([a.attnref, "ref", case, "-o", truth])
    run([PY, TORCH_MODEL, case, "-o", cand] + (["--bug", bug] if bug else []))
    return truth, cand


def check(a, truth, cand):
    return run([a.attnref, "check", "--truth", truth, "--candidate", cand,
                "--profile", "fp64"], ok=(0, 1, 2))


def test_torch_fp64(a):
    failed = 0
    for i, cfg in enumerate(CONFIGS):
        truth, cand = truth_and_candidate(a, i, cfg)
        rc, out = check(a, truth, cand)
        if rc != 0:
            failed += 1
            print(f"FAIL: check exited {rc} for torch fp64 on config "
                  f"{json.dumps(cfg)} seed {SEED} bound {BOUND}\n{out}")
        else:
            print(f"ok: {json.dumps(cfg)}")
    return 1 if failed else 0


def test_torch_bug(a, bug):
    failed = 0
    # Two configs: the bug must be caught whether or not the mask is causal.
    for i in (0, 2):
        cfg = CONFIGS[i]
        truth, cand = truth_and_candidate(a, i, cfg, bug)
        rc, out = check(a, truth, cand)
        if rc != 1:
            failed += 1
            print(f"FAIL: check exited {rc} (want 1) for torch with bug {bug} on "
                  f"config {json.dumps(cfg)} seed {SEED} bound {BOUND}\n{out}")
        else:
            print(f"ok: bug {bug} caught on {json.dumps(cfg)}")
    return 1 if failed else 0


def test_third_party_exact(a):
    # The default case (causal, layernorm, gelu, xent) and two more that
    # cover the remaining features, all from the third-party writer.
    cases = [("default", []),
             ("b", ["--config", json.dumps(CONFIGS[0]), "--seed", "11"]),
             ("c", ["--config", json.dumps(CONFIGS[1]), "--seed", "12"])]
    failed = 0
    for tag, args in cases:
        base = os.path.join(a.work, "third_party_" + tag)
        case, truth, peer = base + ".case.st", base + ".truth.st", base + ".peer.st"
        run([PY, THIRD_PARTY, case] + args)
        run([a.attnref, "ref", case, "-o", truth])
        run([PY, PEER, case, "--dps", "60", "-o", peer])
        rc, out = run([PY, COMPARE, truth, peer, "--exact"], ok=(0, 1))
        print(f"{tag}: {out}", end="")
        if rc:
            failed += 1
            print(f"FAIL: attnref ref's truth for {case} (third_party_case.py "
                  f"{' '.join(args) or '(default config and seed)'}) differs "
                  f"from the mpmath peer at 60 digits")
    return 1 if failed else 0


def test_torch_vs_peer(a):
    failed = 0
    for i, cfg in enumerate(CONFIGS):
        case = os.path.join(a.work, f"p{i}.case.st")
        tout = os.path.join(a.work, f"p{i}.torch.st")
        pout = os.path.join(a.work, f"p{i}.peer.st")
        run([PY, THIRD_PARTY, case, "--config", json.dumps(cfg), "--seed",
             str(SEED + i)])
        run([PY, TORCH_MODEL, case, "-o", tout])
        run([PY, PEER, case, "-o", pout])
        # float64 torch vs a 50-digit peer: worst tensor-relative error is a
        # few 1e-15 typically, up to ~1e-12 where a small gradient is a sum
        # with cancellation; any modelling difference is >> 1e-9.
        rc, out = run([PY, COMPARE, pout, tout, "--rtol", "1e-10"], ok=(0, 1))
        print(out, end="")
        if rc:
            failed += 1
            print(f"FAIL: torch_model.py and peer_mpmath.py disagree on config "
                  f"{json.dumps(cfg)} seed {SEED + i}")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("test", choices=["torch-fp64", "torch-bug", "third-party-exact",
                                     "torch-vs-peer"])
    ap.add_argument("bug", nargs="?")
    ap.add_argument("--attnref")
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    try:
        if a.test == "torch-fp64":
            return test_torch_fp64(a)
        if a.test == "torch-bug":
            return test_torch_bug(a, a.bug)
        if a.test == "third-party-exact":
            return test_third_party_exact(a)
        return test_torch_vs_peer(a)
    except RuntimeError as e:
        print(f"FAIL: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
