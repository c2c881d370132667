"""A small safetensors reader/writer (numpy only), independent of attnref's C
I/O, shared by the interop scripts.

Format: 8-byte little-endian header length N, N bytes of JSON header
{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__":
{str: str}}, then the raw little-endian data; offsets are relative to the
start of the data section.

Floating tensors are returned as float64 arrays (F32/F16/BF16 widened
exactly); I64 as int64. numpy has no bfloat16, so BF16 is handled as the top
16 bits of a float32.
"""
import json
import os
import struct
import tempfile
from fractions import Fraction

import numpy as np

# dtype name -> (numpy storage dtype, bytes per element)
_STORAGE = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
    "I64": np.dtype("<i8"),
}
FLOAT_DTYPES = ("F64", "F32", "F16", "BF16")


class FormatError(Exception):
    pass


def bf16_to_f64(bits):
    """bfloat16 bit patterns (uint16) -> float64, exactly."""
    b = np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16
    return b.view(np.float32).astype(np.float64)


def f64_to_bf16(x):
    """float64 -> bfloat16 bit patterns, rounded to nearest-even from the
    double itself (not via float32, which would round twice)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty(x.shape, dtype=np.uint16)
    flat_in, flat_out = x.reshape(-1), out.reshape(-1)
    for i, v in enumerate(flat_in):
        flat_out[i] = _bf16_bits(float(v))
    return out


def _bf16_bits(v):
    if v != v:
        return 0x7FC0
    # The bf16 values around v are among the 16-bit truncation of float32(v)
    # and its neighbours; pick the nearest exactly (ties to even).
    if abs(v) >= 3.3e38:
        raise ValueError(f"bf16 overflow not supported: {v}")
    f = np.float32(v)
    bits = int(np.array(f, dtype=np.float32).view(np.uint32))
    lo = bits & 0xFFFF0000
    cands = {lo, (lo + 0x10000) & 0xFFFFFFFF, (lo - 0x10000) & 0xFFFFFFFF}
    best = None
    for c in sorted(cands):
        cv = float(np.array(c, dtype=np.uint32).view(np.float32))
        if cv != cv or cv in (float("inf"), float("-inf")):
            continue
        # exact comparison: doubles are dyadic rationals
        dist = abs(Fraction(cv) - Fraction(v))
        key = (dist, (c >> 16) & 1)  # ties: even mantissa (low bit 0) wins
        if best is None or key < best[0]:
            best = (key, c)
    return (best[1] >> 16) & 0xFFFF


def read(path):
    """Returns (tensors, dtypes, metadata): name -> ndarray (float64 or int64),
    name -> dtype string, metadata dict. Validates the layout strictly."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise FormatError(f"{path}: shorter than the 8-byte header length")
    (hlen,) = struct.unpack("<Q", blob[:8])
    if hlen > len(blob) - 8:
        raise FormatError(f"{path}: header length {hlen} exceeds the file")
    try:
        header = json.loads(blob[8:8 + hlen].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FormatError(f"{path}: header is not JSON: {e}")
    if not isinstance(header, dict):
        raise FormatError(f"{path}: header is not a JSON object")
    data = memoryview(blob)[8 + hlen:]
    meta = header.pop("__metadata__", {}) or {}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise FormatError(f"{path}: __metadata__ must map strings to strings")
    tensors, dtypes, spans = {}, {}, []
    for name, ent in header.items():
        dt = ent.get("dtype")
        if dt not in _STORAGE:
            raise FormatError(f"{path}: tensor {name}: unsupported dtype {dt!r}")
        shape = ent.get("shape")
        if not isinstance(shape, list) or any(
                not isinstance(s, int) or s < 0 for s in shape):
            raise FormatError(f"{path}: tensor {name}: bad shape {shape!r}")
        b, e = ent.get("data_offsets", [None, None])
        numel = int(np.prod(shape, dtype=np.int64)) if shape else 1
        nbytes = numel * _STORAGE[dt].itemsize
        if not (isinstance(b, int) and isinstance(e, int) and 0 <= b <= e <= len(data)
                and e - b == nbytes):
            raise FormatError(f"{path}: tensor {name}: data_offsets {[b, e]} do not "
                              f"match shape {shape} {dt} within {len(data)} bytes")
        raw = np.frombuffer(data[b:e], dtype=_STORAGE[dt]).reshape(shape)
        if dt == "BF16":
            arr = bf16_to_f64(raw)
        elif dt == "I64":
            arr = raw.astype(np.int64)
        else:
            arr = raw.astype(np.float64)
        tensors[name], dtypes[name] = arr, dt
        spans.append((b, e, name))
    spans.sort()
    pos = 0
    for b, e, name in spans:
        if b != pos:
            raise FormatError(f"{path}: tensor {name}: data at {b} leaves a gap or "
                              f"overlaps (expected {pos})")
        pos = e
    if pos != len(data):
        raise FormatError(f"{path}: {len(data) - pos} trailing bytes after the data")
    return tensors, dtypes, meta


def encode(arr, dt):
    """ndarray -> little-endian bytes of dtype dt (floats rounded to nearest)."""
    if dt == "BF16":
        return f64_to_bf16(arr).astype("<u2").tobytes()
    if dt == "I64":
        return np.asarray(arr).astype("<i8").tobytes()
    return np.asarray(arr, dtype=np.float64).astype(_STORAGE[dt]).tobytes()


def write(path, tensors, metadata=None, dtypes=None, order=None, pad_to=8,
          header_indent=None, metadata_last=False, misalign=False):
    """Writes atomically (temp file in the same folder, then os.replace).
    tensors: name -> array; dtypes: name -> dtype (default F64, I64 for
    integer arrays); order: the order of the data section (default sorted by
    name); pad_to: pad the header with spaces to a multiple of this (1 = no
    padding); header_indent: passed to json.dumps; metadata_last: put
    __metadata__ after the tensors in the header; misalign: make the header
    length not a multiple of 8, so the data section is unaligned (layout
    variations other writers produce)."""
    dtypes = dict(dtypes or {})
    names = list(order) if order is not None else sorted(tensors)
    if sorted(names) != sorted(tensors):
        raise ValueError("order must list every tensor exactly once")
    header, chunks, pos = {}, [], 0
    if metadata is not None and not metadata_last:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in names:
        arr = np.asarray(tensors[name])
        dt = dtypes.get(name) or ("I64" if arr.dtype.kind in "iu" else "F64")
        raw = encode(arr, dt)
        header[name] = {"dtype": dt, "shape": list(arr.shape),
                        "data_offsets": [pos, pos + len(raw)]}
        chunks.append(raw)
        pos += len(raw)
    if metadata is not None and metadata_last:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hbytes = json.dumps(header, indent=header_indent).encode("utf-8")
    if pad_to > 1 and len(hbytes) % pad_to:
        hbytes += b" " * (pad_to - len(hbytes) % pad_to)
    if misalign and len(hbytes) % 8 == 0:
        hbytes += b" "
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".st-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(hbytes)))
            f.write(hbytes)
            for c in chunks:
                f.write(c)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def config_of(meta, path="case"):
    """The model config (a dict with defaults filled) from a file's metadata."""
    if "attnref.config" not in meta:
        raise FormatError(f"{path}: no attnref.config in __metadata__")
    c = json.loads(meta["attnref.config"])
    for k in ("n", "d", "heads", "layers"):
        if k not in c:
            raise FormatError(f"{path}: attnref.config lacks {k}")
    full = {"causal": False, "residual": True, "norm": "none", "norm_eps": 1e-5,
            "mlp": 0, "activation": "relu", "loss": "mse", "scale": None}
    full.update(c)
    if full["loss"] == "xent" and "vocab" not in full:
        raise FormatError(f"{path}: xent needs vocab")
    if full["d"] % full["heads"]:
        raise FormatError(f"{path}: d must be divisible by heads")
    return full


def input_names(c):
    """Input tensor names a config requires, as in DESIGN §3 (labels included)."""
    names = ["x"]
    for l in range(c["layers"]):
        p = f"layers.{l}."
        names += [p + w for w in ("wq", "wk", "wv", "wo")]
        if c["norm"] != "none":
            names.append(p + "norm1.weight")
            if c["norm"] == "layernorm":
                names.append(p + "norm1.bias")
        if c["mlp"] > 0:
            if c["norm"] != "none":
                names.append(p + "norm2.weight")
                if c["norm"] == "layernorm":
                    names.append(p + "norm2.bias")
            names += [p + "mlp." + w for w in ("w1", "b1", "w2", "b2")]
    names += {"mse": ["target"], "linear": ["cotangent"],
              "xent": ["unembed", "labels"]}[c["loss"]]
    return names
