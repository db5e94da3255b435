"""Baselines for `npm run bench -- sandbox`: the same programs run by CPython (1) with exec in-process, the unsafe
ceiling, and (2) one CPython subprocess per program, the naive safe approach. Reads {"programs": [...],
"inputs": [...], "mode": "exec"|"subprocess"} on stdin; prints {"latencies_ms": [...], "outputs": [...]}."""
import contextlib
import io
import json
import subprocess
import sys
import time

request = json.load(sys.stdin)
latencies, outputs = [], []
for program, data in zip(request["programs"], request["inputs"]):
    started = time.perf_counter()
    if request["mode"] == "exec":
        lines = iter(data.splitlines())
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(program, "<string>", "exec"), {"input": lambda prompt="": next(lines, "")})
        out = buffer.getvalue()
    else:
        out = subprocess.run([sys.executable, "-I", "-c", program], input=data, capture_output=True, text=True, timeout=5, env={}).stdout
    latencies.append((time.perf_counter() - started) * 1000)
    outputs.append(out)
json.dump({"latencies_ms": latencies, "outputs": outputs, "python": sys.version.split()[0]}, sys.stdout)
