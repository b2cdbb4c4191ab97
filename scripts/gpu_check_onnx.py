#!/usr/bin/env python3
"""ONNX part of scripts/gpu-check.sh: runs the exported encoder and decoder in
this machine's onnxruntime on the test inputs and compares with the TF.js
outputs written by `gpu-check.mjs onnx`. Prints one JSON line; exit status 0
when both agree within 1e-4 relative (to the larger of |value| and the mean
|value|), 1 when not, 0 with "skipped" when onnxruntime or numpy is missing.

Usage: python3 gpu_check_onnx.py DIR
"""
import json
import os
import sys


def main():
    d = sys.argv[1]
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as e:
        print(json.dumps({"onnx": "skipped", "reason": f"python3 cannot import {e.name} (pip install onnxruntime numpy)"}))
        return 0
    m = json.load(open(os.path.join(d, "manifest.json")))
    rows, grid, nstyle = m["rows"], m["grid"], m["nStyle"]
    read = lambda name, width: np.fromfile(os.path.join(d, name), dtype="<f4").reshape(rows, width)
    x, z_tfjs, xhat_tfjs = read("x.f32", grid), read("z.f32", nstyle), read("xhat.f32", grid)
    out = {"onnxruntime": ort.__version__, "providers": ort.get_available_providers(), "tfjs_backend": m["backend"], "rows": rows}
    ok = True
    for name, inp, ref in (("encoder", x, z_tfjs), ("decoder", z_tfjs, xhat_tfjs)):
        sess = ort.InferenceSession(os.path.join(d, f"{name}.onnx"), providers=["CPUExecutionProvider"])
        got = sess.run(None, {sess.get_inputs()[0].name: inp})[0]
        scale = max(float(np.abs(ref).mean()), 1e-30)
        err = float((np.abs(got - ref) / np.maximum(np.abs(ref), scale)).max())
        out[f"{name}_max_rel_err"] = err
        ok = ok and err <= 1e-4 and np.isfinite(got).all()
    out["agree"] = bool(ok)
    print(json.dumps(out))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
