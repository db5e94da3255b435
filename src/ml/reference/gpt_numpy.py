#!/usr/bin/env python3
"""Independent numpy implementation of the engine's GPT (HF GPT-2 layout), used by tests and bench/ml.

It reads a model directory the TypeScript engine wrote (config.json + model.safetensors, and optionally a
PEFT adapter directory), parsing safetensors itself, and computes logits and the weighted cross-entropy.

  gpt_numpy.py eval  MODEL_DIR INPUT_JSON [--adapter DIR] [--dtype float64|float32] [--logits]
      INPUT_JSON: {"b", "t", "tokens": [...], "targets": [...], "weights": [...]} (flattened B*T)
      prints {"loss", "token_losses": [...], "logits": [...]?}
  gpt_numpy.py bench MODEL_DIR INPUT_JSON SECONDS
      times the float32 forward pass (logits + weighted loss) on the given batch; prints JSON with
      tokens_per_s, the seconds per forward, the loss and the BLAS configuration.
"""
import json
import os
import struct
import sys
import time

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16}


def read_safetensors(path):
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8 : 8 + n].decode("utf-8"))
    start = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        arr = np.frombuffer(buf[start + begin : start + end], dtype=np.dtype(DTYPES[info["dtype"]]).newbyteorder("<"))
        out[name] = arr.reshape(info["shape"])
    return out


def load(model_dir, adapter_dir, dtype):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    raw = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    w = {k.removeprefix("transformer."): v.astype(dtype) for k, v in raw.items()}
    lora = {}
    scale = 0.0
    if adapter_dir:
        with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
            acfg = json.load(f)
        scale = acfg["lora_alpha"] / acfg["r"]
        for k, v in read_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors")).items():
            lora[k.removeprefix("base_model.model.transformer.")] = v.astype(dtype)
    return cfg, w, lora, scale


def layernorm(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def gelu(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))


def forward(cfg, w, lora, scale, tokens):
    """tokens (B,T) -> logits (B,T,V)."""
    b, t = tokens.shape
    c, nh, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    hs = c // nh
    dtype = w["wte.weight"].dtype

    def linear(x, name):
        y = x @ w[name + ".weight"] + w[name + ".bias"]
        a = lora.get(name + ".lora_A.weight")
        if a is not None:
            # PEFT: lora_A (r, in), lora_B (out, r); Conv1D weights are (in, out)
            y = y + scale * ((x @ a.T) @ lora[name + ".lora_B.weight"].T)
        return y

    x = w["wte.weight"][tokens] + w["wpe.weight"][:t]
    mask = np.triu(np.ones((t, t), dtype=bool), k=1)
    for layer in range(cfg["n_layer"]):
        p = f"h.{layer}"
        h = layernorm(x, w[p + ".ln_1.weight"], w[p + ".ln_1.bias"], eps)
        qkv = linear(h, p + ".attn.c_attn")
        q, k, v = np.split(qkv, 3, axis=-1)
        q = q.reshape(b, t, nh, hs).transpose(0, 2, 1, 3)
        k = k.reshape(b, t, nh, hs).transpose(0, 2, 1, 3)
        v = v.reshape(b, t, nh, hs).transpose(0, 2, 1, 3)
        att = (q @ k.transpose(0, 1, 3, 2)) * dtype.type(1.0 / np.sqrt(hs))
        att = np.where(mask, -np.inf, att)
        att = np.exp(att - att.max(-1, keepdims=True))
        att = att / att.sum(-1, keepdims=True)
        y = (att @ v).transpose(0, 2, 1, 3).reshape(b, t, c)
        x = x + linear(y, p + ".attn.c_proj")
        h = layernorm(x, w[p + ".ln_2.weight"], w[p + ".ln_2.bias"], eps)
        x = x + linear(gelu(linear(h, p + ".mlp.c_fc")), p + ".mlp.c_proj")
    x = layernorm(x, w["ln_f.weight"], w["ln_f.bias"], eps)
    return x @ w["wte.weight"].T


def losses(logits, targets):
    m = logits.max(-1, keepdims=True)
    lse = np.log(np.exp(logits - m).sum(-1)) + m[..., 0]
    picked = np.take_along_axis(logits, targets[..., None], axis=-1)[..., 0]
    return lse - picked


def cmd_eval(args):
    model_dir, input_path = args[0], args[1]
    adapter = args[args.index("--adapter") + 1] if "--adapter" in args else None
    dtype = np.dtype(args[args.index("--dtype") + 1]) if "--dtype" in args else np.dtype(np.float64)
    cfg, w, lora, scale = load(model_dir, adapter, dtype)
    with open(input_path) as f:
        inp = json.load(f)
    b, t = inp["b"], inp["t"]
    tokens = np.array(inp["tokens"], dtype=np.int64).reshape(b, t)
    targets = np.array(inp["targets"], dtype=np.int64).reshape(b, t)
    weights = np.array(inp["weights"], dtype=np.float64).reshape(b, t)
    logits = forward(cfg, w, lora, scale, tokens)
    tl = losses(logits.astype(np.float64), targets)
    out = {"loss": float((weights * tl).sum()), "token_losses": tl.reshape(-1).tolist()}
    if "--logits" in args:
        out["logits"] = logits.reshape(-1).astype(np.float64).tolist()
    print(json.dumps(out))


def cmd_bench(args):
    model_dir, input_path, seconds = args[0], args[1], float(args[2])
    cfg, w, lora, scale = load(model_dir, None, np.dtype(np.float32))
    with open(input_path) as f:
        inp = json.load(f)
    b, t = inp["b"], inp["t"]
    tokens = np.array(inp["tokens"], dtype=np.int64).reshape(b, t)
    targets = np.array(inp["targets"], dtype=np.int64).reshape(b, t)
    weights = np.array(inp["weights"], dtype=np.float32).reshape(b, t)

    def step():
        return float((weights * losses(forward(cfg, w, lora, scale, tokens), targets)).sum())

    for _ in range(2):
        loss = step()
    runs = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        runs += 1
    elapsed = time.perf_counter() - start
    blas = "unknown"
    try:
        info = np.show_config(mode="dicts")
        blas = info["Build Dependencies"]["blas"].get("name", "unknown") + " " + str(info["Build Dependencies"]["blas"].get("version", ""))
    except Exception:  # older numpy: no dict mode; the name stays unknown
        pass
    print(json.dumps({
        "tokens_per_s": runs * b * t / elapsed,
        "seconds_per_forward": elapsed / runs,
        "runs": runs,
        "loss": loss,
        "numpy": np.__version__,
        "blas": blas,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
    }))


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("eval", "bench"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    (cmd_eval if sys.argv[1] == "eval" else cmd_bench)(sys.argv[2:])
