#!/usr/bin/env bash
# Writes a private why3 configuration for the WP proofs: DIR/why3.conf (+ DIR/cvc5.drv).
# Usage: setup_provers.sh DIR      then: export WHY3CONFIG=DIR/why3.conf
# why3 1.5.1 detects z3, cvc4, gappa but not cvc5 1.0.3, which is the only prover here that
# finishes IEEE-float goals: it is registered by hand with a driver built on why3's cvc4 one.
# memlimit = 0 because why3's default (1000 MB) kills cvc5 on the larger goals.
set -euo pipefail
dir=${1:?usage: setup_provers.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf=$dir/why3.conf
share=$(why3 --print-datadir)
[ -f "$share/drivers/cvc4_16.gen" ] || { echo "setup_provers: no $share/drivers/cvc4_16.gen" >&2; exit 2; }

rm -f "$conf"
WHY3CONFIG=$conf why3 config detect >"$dir/detect.log" 2>&1 ||
  { cat "$dir/detect.log" >&2; exit 2; }

cat >"$dir/cvc5.drv" <<DRV
prelude "(set-logic ALL)"
timeout "interrupted by timeout"
import "$share/drivers/cvc4_16.gen"
import "$share/drivers/smtlib-strings.gen"
theory BuiltIn meta "supports_smt_get_info_unknown_reason" "" end
DRV

if command -v cvc5 >/dev/null; then
  ver=$(cvc5 --version | sed -n 's/^This is cvc5 version \([0-9.]*\).*/\1/p')
  # cvc5: stock settings. cvc5i0/cvc5i2/cvc5b: no counterexample-guided instantiation (it
  # spends the whole time limit on the quantified background theories) and E-matching limited
  # to instantiation level 0, 2 or 5, which stops the matching loops of the recursive
  # definitions (sum(n) unfolds to sum(n-1), ...) that otherwise flood the nonlinear-arithmetic
  # solver. Which level proves a goal fast varies, so the runs use them as a portfolio.
  for variant in "cvc5||" "cvc5i0|inst0|--inst-max-level=0 --no-cegqi " \
                 "cvc5i2|inst2|--inst-max-level=2 --no-cegqi " \
                 "cvc5b|bounded|--inst-max-level=5 --no-cegqi "; do
    IFS='|' read -r short alt opts <<<"$variant"
    cat >>"$conf" <<CONF

[prover]
${alt:+alternative = \"$alt\"}
command = "cvc5 ${opts}--tlimit-per=%t000 --lang=smt2 %f"
command_steps = "cvc5 ${opts}--lang=smt2 --steps-bound=%S %f"
driver = "$dir/cvc5.drv"
in_place = false
interactive = false
name = "CVC5"
shortcut = "$short"
version = "${ver:-1.0.3}"
CONF
  done
fi
# memlimit = 0: no memory limit (why3 kills provers at its default 1000 MB).
sed -i 's/^memlimit = .*/memlimit = 0/' "$conf"
grep -q '^memlimit = 0' "$conf" || { echo "setup_provers: could not set memlimit" >&2; exit 2; }
echo "setup_provers: wrote $conf"
WHY3CONFIG=$conf why3 config list-provers
