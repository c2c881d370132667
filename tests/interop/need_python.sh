#!/bin/bash
# usage: need_python.sh PYTHON "MODULE..." SCRIPT ARGS...
# Runs SCRIPT with PYTHON when PYTHON exists and imports every MODULE;
# otherwise exits 77, which CTest reports as a skip (SKIP_RETURN_CODE 77).
py=$1 mods=$2
shift 2
if ! [ -x "$py" ]; then
  echo "skip: $py not found"
  exit 77
fi
for m in $mods; do
  if ! "$py" -c "import $m" 2>/dev/null; then
    echo "skip: $py cannot import $m"
    exit 77
  fi
done
exec "$py" "$@"
