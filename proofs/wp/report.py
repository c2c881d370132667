"""Aggregates the WP runs of proofs/run_wp.sh into REPORT.md and report.json; exits 1 when any
goal is unproved, any Gappa certificate fails, or a soundness check of the method fails."""
import argparse
import glob
import json
import os
import re
import sys


def parse_args():
    ap = argparse.ArgumentParser()
    for a in ("--root", "--work", "--steps", "--total", "--md", "--json"):
        ap.add_argument(a, required=True)
    ap.add_argument("--jobs", default="2")
    ap.add_argument("--timeout", default="")
    ap.add_argument("--partial", action="store_true", help="only some kernel files were run")
    return ap.parse_args()


def seconds(tok):
    m = re.fullmatch(r"([0-9.]+)(ms|s)", tok)
    if not m:
        return None
    v = float(m.group(1))
    return v / 1000 if m.group(2) == "ms" else v


def log_times(path):
    """goal name (without the typed_/typed_real_ prefix) -> prover seconds, from a WP log."""
    out = {}
    if not os.path.exists(path):
        return out
    for line in open(path, errors="replace"):
        m = re.match(r"\[wp\] \[[^\]]*\] Goal typed(?:_real)?_(\S+) : \w+(.*)$", line)
        if not m:
            continue
        toks = re.findall(r"\(([^()]*)\)", m.group(2))
        t = 0.0
        for tok in toks:
            tok = tok.split(":")[-1]
            s = seconds(tok)
            if s is not None:
                t = max(t, s)
        out[m.group(1)] = t
    return out


def goals_of(node):
    """Flattens {group: {goal: {prover: {...}, 'wp:main': {...}}}} into goal records."""
    recs = []
    for group, goals in node.items():
        for goal, res in goals.items():
            if goal.startswith("wp:"):
                continue
            main = res.get("wp:main", {})
            provers = sorted(p for p, r in res.items() if p != "wp:main" and r.get("valid", 0) > 0)
            recs.append({"group": group, "goal": goal, "total": main.get("total", 0),
                         "valid": main.get("valid", 0), "provers": provers})
    return recs


def contracts(header):
    """kernel name -> list of its ensures labels (None for unnamed), from kern.h."""
    text = open(header).read()
    out = {}
    for m in re.finditer(r"/\*@(.*?)\*/\s*[a-z0-9_ ]+\**\s*(kern_\w+)\(", text, re.S):
        labels = re.findall(r"\bensures\s+(?:(\w+)\s*:)?", m.group(1))
        out[m.group(2)] = [l or None for l in labels]
    return out


def annotations(path):
    """(keyword, label, text) for each ACSL clause of a C file or header, split on the clause
    keywords (a clause runs to the next keyword)."""
    text = open(path).read()
    clauses = []
    for ann in re.findall(r"/\*@((?s:.*?))\*/|//@(.*)", text):
        body = ann[0] or ann[1]
        parts = re.split(r"\b(admit\s+ensures|requires|ensures|assert|loop\s+invariant|"
                         r"loop\s+assigns|loop\s+variant|assigns|predicate|logic|lemma|axiom)\b",
                         body)
        for i in range(1, len(parts) - 1, 2):
            kw = re.sub(r"\s+", " ", parts[i])
            rest = parts[i + 1]
            m = re.match(r"\s*(\w+)\s*:(?!:)", rest)
            clauses.append((kw, m.group(1) if m else None, rest))
    return clauses


def main():
    a = parse_args()
    root, work = a.root, a.work
    steps = [s for s in a.steps.split(",") if s]
    problems = []

    runs = []
    for line in open(os.path.join(work, "runs.tsv")):
        name, model, rc, secs = line.rstrip("\n").split("\t")
        runs.append({"name": name, "model": model, "rc": int(rc), "seconds": float(secs)})

    functions = {}
    lemmas = []
    for r in runs:
        jpath = os.path.join(work, r["name"] + ".json")
        times = log_times(os.path.join(work, r["name"] + ".log"))
        if r["rc"] != 0 or not os.path.exists(jpath):
            problems.append("frama-c run %s exited %d (see %s.log)" % (r["name"], r["rc"],
                                                                       os.path.join(work, r["name"])))
            r["goals"] = r["proved"] = 0
            continue
        d = json.load(open(jpath))
        recs = goals_of(d.get("wp:functions", {})) + goals_of(d.get("wp:axiomatics", {}))
        r["goals"] = sum(x["total"] for x in recs)
        r["proved"] = sum(x["valid"] for x in recs)
        kind = "float" if r["model"] == "Typed" else "real"
        for x in recs:
            x["seconds"] = times.get(x["goal"], 0.0)
            if x["valid"] < x["total"]:
                problems.append("unproved goal %s (run %s)" % (x["goal"], r["name"]))
            if r["name"] == "lemmas":
                lemmas.append(x)
                continue
            if r["name"] == "steps":
                kind = "float"
            elif x["group"] not in steps and "is_nan_or_infinite" in x["goal"]:
                problems.append("floating-point operation in kernel body: %s" % x["goal"])
            f = functions.setdefault(x["group"], {"file": r["name"].split(".")[0],
                                                  "float": [0, 0], "real": [0, 0],
                                                  "provers": {}, "max_goal_s": 0.0})
            f[kind][0] += x["total"]
            f[kind][1] += x["valid"]
            for p in x["provers"] or ["(none)"]:
                f["provers"][p] = f["provers"].get(p, 0) + 1
            f["max_goal_s"] = max(f["max_goal_s"], x["seconds"])

    # Method checks: admits only in the step header; no axioms; every finiteness property of a
    # kernel is named fin, so that the IEEE-model run proves it (the real-model run cannot).
    kern_dir = os.path.join(root, "fast", "kern")
    admitted = []
    for path in sorted(glob.glob(os.path.join(kern_dir, "*.[ch]")) +
                       glob.glob(os.path.join(root, "proofs", "*.acsl"))):
        rel = os.path.relpath(path, root)
        for kw, label, body in annotations(path):
            if kw == "axiom":
                problems.append("axiom in %s" % rel)
            if kw.startswith("admit"):
                if os.path.basename(path) != "kern_fp.h":
                    problems.append("admit outside kern_fp.h: %s" % rel)
                admitted.append({"file": rel, "clause": label,
                                 "text": re.sub(r"\s+", " ", body.split(";")[0]).strip()})
            if (any(w in body for w in ("\\is_finite", "finite_range", "rd_range"))
                    and path.startswith(kern_dir) and label != "fin"
                    and kw not in ("predicate", "logic", "lemma")):
                problems.append("finiteness clause not named fin in %s: %s %s" %
                                (rel, kw, re.sub(r"\s+", " ", body.strip())[:60]))
    # which step each admit belongs to
    fp_text = open(os.path.join(kern_dir, "kern_fp.h")).read()
    for adm in admitted:
        i = fp_text.find(adm["text"].split(":", 1)[-1].strip()[:30])
        m = re.search(r"static inline [a-z0-9_]+ (kern_\w+)\(", fp_text[i:]) if i >= 0 else None
        adm["function"] = m.group(1) if m else "?"

    # contracts of functions without a body (taken as given by WP): the libm / BLAS
    # assumptions, declared under __FRAMAC__ in kern_fp.h, kern_lowrank.h and kern_gemm.h
    assumed = []
    for hdr in ("kern_fp.h", "kern_lowrank.h", "kern_gemm.h"):
        hpath = os.path.join(kern_dir, hdr)
        if not os.path.exists(hpath):
            continue
        htext = open(hpath).read()
        for blk in re.findall(r"#ifdef __FRAMAC__(.*?)#(?:else|endif)", htext, re.S):
            for m in re.finditer(
                    r"/\*@((?s:(?:(?!\*/).)*))\*/\s*(?:[a-z0-9_]+\s+)+\**(\w+)\([^;{)]*\)\s*;", blk):
                assumed.append({"function": m.group(2), "header": "fast/kern/" + hdr,
                                "contract": re.sub(r"\s+", " ", m.group(1)).strip()})

    gappa = []
    gpath = os.path.join(work, "gappa.tsv")
    if os.path.exists(gpath):
        for line in open(gpath):
            name, rc, secs = line.rstrip("\n").split("\t")
            gappa.append({"script": "proofs/gappa/" + name, "ok": rc == "0",
                          "seconds": float(secs)})
            if rc != "0":
                problems.append("gappa certificate failed: %s" % name)
    if not gappa:
        problems.append("no Gappa certificates found in proofs/gappa/")

    cons = {}
    # the headers that declare the proved kernels: every fast/kern/*.h but the step headers
    for hpath in sorted(glob.glob(os.path.join(kern_dir, "*.h"))):
        if not os.path.basename(hpath).startswith("kern_fp"):
            cons.update(contracts(hpath))
    for name, labels in cons.items():
        if name in functions:
            functions[name]["functional"] = any(l != "fin" for l in labels)
        elif not a.partial:
            problems.append("kernel %s declared in fast/kern has no proof goals" % name)
    for name in functions:
        functions[name].setdefault("functional", name in steps)

    total_goals = sum(r["goals"] for r in runs)
    proved = sum(r["proved"] for r in runs)
    ok = not problems
    data = {"ok": ok, "goals": total_goals, "proved": proved,
            "seconds_total": float(a.total), "jobs": int(a.jobs), "timeout_s": a.timeout,
            "runs": runs, "functions": functions, "lemmas": lemmas, "admitted": admitted,
            "assumed_contracts": assumed,
            "gappa": gappa, "problems": problems}
    with open(a.json + ".tmp", "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
    os.replace(a.json + ".tmp", a.json)

    L = []
    L.append("# Proof report: fast/kern (Frama-C WP)\n")
    L.append("Generated by `proofs/run_wp.sh`; method and assumptions in proofs/README.md.\n")
    L.append("**%s**: %d / %d goals proved, %d Gappa certificates, %.0f s wall on %s prover "
             "processes (timeout %s s per prover call).\n" %
             ("ALL PROVED" if ok else "NOT PROVED", proved, total_goals, len(gappa),
              float(a.total), a.jobs, a.timeout))
    if problems:
        L.append("## Problems\n")
        L += ["- %s" % p for p in problems]
        L.append("")
    L.append("## Kernels and steps\n")
    L.append("| function | file | functional contract | safety goals (IEEE model) | "
             "functional goals (real model) | provers (goals) | slowest goal |")
    L.append("|---|---|---|---|---|---|---|")
    for name in sorted(functions, key=lambda n: (n in steps, functions[n]["file"], n)):
        f = functions[name]
        prov = ", ".join("%s %d" % (p, n) for p, n in sorted(f["provers"].items()))
        fl = "%d/%d" % tuple(f["float"][::-1]) if f["float"][0] else "-"
        rl = "%d/%d" % tuple(f["real"][::-1]) if f["real"][0] else "-"
        kind = "step (admitted bound)" if name in steps and any(
            x["function"] == name for x in admitted) else ("step" if name in steps else
                                                          ("yes" if f["functional"] else "no"))
        L.append("| %s | %s | %s | %s | %s | %s | %.2f s |" %
                 (name, f["file"], kind, fl, rl, prov, f["max_goal_s"]))
    L.append("\nLemmas of the logic library (proofs/*.acsl): %d / %d proved.\n" %
             (sum(x["valid"] for x in lemmas), sum(x["total"] for x in lemmas)))
    L.append("## Runs\n")
    L.append("| run | model | goals | proved | seconds |")
    L.append("|---|---|---|---|---|")
    for r in runs:
        L.append("| %s | %s | %d | %d | %.1f |" % (r["name"], r["model"], r["goals"],
                                                   r["proved"], r["seconds"]))
    L.append("\n## Admitted (the isolated floating-point steps)\n")
    for adm in admitted:
        L.append("- `%s` (%s) `%s`" % (adm["function"], adm["clause"], adm["text"]))
    L.append("\n## Assumed contracts (declarations without a body, used under Frama-C only)\n")
    for x in assumed:
        L.append("- `%s`: `%s`" % (x["function"], x["contract"]))
    L.append("\n## Gappa certificates\n")
    for g in gappa:
        L.append("- %s: %s (%.2f s)" % (g["script"], "ok" if g["ok"] else "FAILED",
                                        g["seconds"]))
    with open(a.md + ".tmp", "w") as fh:
        fh.write("\n".join(L) + "\n")
    os.replace(a.md + ".tmp", a.md)
    print("run_wp: %s: %d/%d goals, %d problems; %s" % ("ok" if ok else "FAILED", proved,
                                                     total_goals, len(problems), a.md))
    for p in problems[:20]:
        print("run_wp:   " + p)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
