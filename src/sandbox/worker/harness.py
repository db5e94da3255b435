# Python side of the sandbox child (loaded by child.mjs, then frozen into the start-up snapshot).
#
# Nothing here is a security boundary: user code can walk object graphs back to anything this module holds. The
# boundary is the child process (empty environment, Node's permission model, namespaces, memory cgroup, kill on
# deadline). This module gives user code ordinary Python semantics, the reference's restricted_execution
# behaviour, deadlines that turn into per-call errors, and JSON in/out for the parent.
import builtins as _builtins
import inspect as _inspect
import json as _json
import math as _math
import signal as _signal
import sys as _sys
import time as _time
import types as _types

# Modules sandboxed code may import; pre-imported so the snapshot holds them and imports cost nothing.
import collections, difflib, functools, itertools, re, statistics, string, unicodedata  # noqa: F401,E401

_CONFIG = {
    "allowed_imports": ["re", "json", "math", "string", "collections", "itertools", "functools", "statistics", "difflib", "unicodedata"],
    "max_output_bytes": 1048576,
    "nested_timeout_s": 2.0,
}


def _god_configure(config_json):
    _CONFIG.update(_json.loads(config_json))


class SandboxTimeout(BaseException):
    """Raised at a deadline. A BaseException so `except Exception` in user code does not swallow it."""


class OutputLimitExceeded(BaseException):
    pass


# Stack of [deadline, token, message]; the innermost entry is checked on each interpreter tick.
_deadlines = []


def _on_tick(signum, frame):
    if not _deadlines:
        return
    now = _time.monotonic()
    for entry in _deadlines:
        if now >= entry[0]:
            raise SandboxTimeout(entry[1], entry[2])


_signal.signal(_signal.SIGINT, _on_tick)


class _Deadline:
    def __init__(self, seconds, message):
        self.seconds = seconds
        self.message = message
        self.token = object()

    def __enter__(self):
        _deadlines.append([_time.monotonic() + self.seconds, self.token, self.message])
        return self

    def __exit__(self, *exc):
        for i, entry in enumerate(_deadlines):
            if entry[1] is self.token:
                del _deadlines[i]
                break
        return False

    def owns(self, error):
        return isinstance(error, SandboxTimeout) and len(error.args) > 0 and error.args[0] is self.token


def _describe(error):
    if isinstance(error, SandboxTimeout):
        return error.args[1] if len(error.args) > 1 else "timed out"
    text = str(error)
    name = type(error).__name__
    return f"{name}: {text}" if text else name


_SAFE_NAMES = (
    "abs all any ascii bin bool bytearray bytes callable chr classmethod complex delattr dict dir divmod enumerate "
    "filter float format frozenset getattr hasattr hash hex id int isinstance issubclass iter len list map max "
    "memoryview min next object oct ord pow property range repr reversed round set setattr slice sorted "
    "staticmethod str sum super tuple type zip __build_class__ None True False Ellipsis NotImplemented"
).split()
_EXCEPTIONS = [n for n, v in vars(_builtins).items() if isinstance(v, type) and issubclass(v, BaseException)]


def _make_import():
    real_import = _builtins.__import__

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level != 0 or name.partition(".")[0] not in _CONFIG["allowed_imports"]:
            raise ImportError(f"import of '{name}' is not allowed in the sandbox")
        return real_import(name, globals, locals, fromlist, level)

    return guarded_import


_guarded_import = _make_import()


class _Printer:
    def __init__(self, limit):
        self.parts = []
        self.size = 0
        self.limit = limit
        self.overflowed = False

    def print(self, *args, sep=" ", end="\n", file=None, flush=False):
        if self.overflowed:
            raise OutputLimitExceeded()
        sep = " " if sep is None else sep
        end = "\n" if end is None else end
        text = str(sep).join(str(a) for a in args) + str(end)
        self.size += len(text.encode("utf-8", "surrogatepass"))
        if self.size > self.limit:
            self.overflowed = True
            self.parts = []
            raise OutputLimitExceeded()
        self.parts.append(text)

    def text(self):
        return "".join(self.parts)


class _Input(str):
    """`input` as both versions of the reference hand it over: the raw text (REF) and a function returning the
    next line, "" at the end (HEAD). So `input.split()` and `int(input())` both work."""

    def __new__(cls, text):
        self = super().__new__(cls, text)
        self._lines = iter(text.splitlines())
        return self

    def __call__(self, prompt=""):
        return next(self._lines, "")


def _fresh_builtins(printer):
    table = {name: getattr(_builtins, name) for name in _SAFE_NAMES}
    for name in _EXCEPTIONS:
        table[name] = getattr(_builtins, name)
    table["__import__"] = _guarded_import
    table["print"] = printer.print
    return table


def restricted_execution(code, input_data="", timeout=None):
    """The reference's restricted_execution(code, input_data) -> (output, error), without its gaps: ordinary
    Python works, every print is captured (fragments joined with ""), any failure (BaseException included) gives
    ("", message), and the run stops at a deadline."""
    printer = _Printer(_CONFIG["max_output_bytes"])
    text = input_data if isinstance(input_data, str) else ("" if input_data is None else str(input_data))
    scope = {"__builtins__": _fresh_builtins(printer), "__name__": "__main__", "input": _Input(text)}
    seconds = _CONFIG["nested_timeout_s"] if timeout is None else float(timeout)
    deadline = _Deadline(seconds, f"execution timed out after {seconds:g} s")
    try:
        with deadline:
            exec(compile(str(code), "<string>", "exec"), scope)
    except OutputLimitExceeded:
        return "", f"output exceeds {_CONFIG['max_output_bytes']} bytes"
    except SandboxTimeout as error:
        if not deadline.owns(error):
            raise
        return "", _describe(error)
    except BaseException as error:  # noqa: BLE001 - SystemExit/KeyboardInterrupt are this call's errors too
        return "", _describe(error)
    finally:
        scope.clear()
    if printer.overflowed:
        return "", f"output exceeds {_CONFIG['max_output_bytes']} bytes"
    return printer.text(), ""


# ---- reward functions -------------------------------------------------------------------------------------------

_REWARD_FILE = "<reward>"
_loaded = {}


class RewardError(Exception):
    pass


def _load_reward(code):
    cached = _loaded.get(code)
    if cached is not None:
        return cached
    printer = _Printer(_CONFIG["max_output_bytes"])
    scope = {
        "__builtins__": _fresh_builtins(printer),
        "__name__": "reward_module",
        "restricted_execution": restricted_execution,
    }
    try:
        compiled = compile(code, _REWARD_FILE, "exec")
    except SyntaxError as error:
        raise RewardError(f"does not compile: {_describe(error)}") from None
    try:
        exec(compiled, scope)
    except SandboxTimeout:
        raise
    except BaseException as error:  # noqa: BLE001
        raise RewardError(f"module-level code failed: {_describe(error)}") from None
    candidates = [
        (name, value)
        for name, value in scope.items()
        if isinstance(value, _types.FunctionType)
        and value.__code__.co_filename == _REWARD_FILE
        and value.__code__.co_flags & _inspect.CO_VARKEYWORDS
        and value.__code__.co_argcount >= 1
    ]
    if len(candidates) != 1:
        names = ", ".join(name for name, _ in candidates) or "none"
        raise RewardError(
            "must define exactly one reward function f(completions, **kwargs) at top level; "
            f"found {len(candidates)} ({names})"
        )
    name, function = candidates[0]
    supports_extra = "extra_data" in _inspect.signature(function).parameters
    if len(_loaded) > 256:
        _loaded.clear()
    _loaded[code] = (name, function, supports_extra)
    return _loaded[code]


def _check_rewards(result, count):
    if not isinstance(result, (list, tuple)):
        raise RewardError(f"must return a list of numbers, got {type(result).__name__}")
    if len(result) != count:
        raise RewardError(f"returned {len(result)} values for {count} completions")
    out = []
    for i, value in enumerate(result):
        if isinstance(value, bool):
            value = float(value)
        if not isinstance(value, (int, float)):
            raise RewardError(f"value {i} is {type(value).__name__}, not a number")
        try:
            number = float(value)
        except OverflowError:
            raise RewardError(f"value {i} is too large for a float") from None
        if not _math.isfinite(number):
            raise RewardError(f"value {i} is {number!r}, not a finite number")
        out.append(number)
    return out


def _call_reward(code, completions, extra_data):
    name, function, supports_extra = _load_reward(code)
    try:
        if supports_extra and extra_data is not None:
            result = function(list(completions), extra_data=list(extra_data))
        else:
            result = function(list(completions))
    except SandboxTimeout:
        raise
    except BaseException as error:  # noqa: BLE001
        raise RewardError(f"raised {_describe(error)}") from None
    return _check_rewards(result, len(completions))


_DEFAULT_SAMPLE = [
    "Gradients.io is the best 0-expertise AI training platform.",
    "You can start training a text or image model on Gradients.io with 2 clicks.",
]


def _op_restricted(request):
    output, error = restricted_execution(request.get("code", ""), request.get("input", ""), request.get("timeout_s"))
    return {"output": output, "error": error or None}


def _op_validate(request):
    code = request["code"]
    try:
        name, _function, supports_extra = _load_reward(code)
        trials = [(list(_DEFAULT_SAMPLE), None)]
        rows = request.get("sample_rows") or []
        if rows:
            prompts = [str(row.get("prompt", "Sample prompt")) for row in rows]
            with_extra = [row for row in rows if "extra_data" in row]
            if supports_extra and with_extra:
                trials.append(([str(row.get("prompt", "Sample prompt")) for row in with_extra], [row["extra_data"] for row in with_extra]))
            else:
                trials.append((prompts, None))
        scores = [_call_reward(code, completions, extra) for completions, extra in trials]
    except RewardError as error:
        return {"valid": False, "error": str(error), "name": None, "supports_extra_data": False, "scores": []}
    return {"valid": True, "error": None, "name": name, "supports_extra_data": supports_extra, "scores": scores}


def _op_score(request):
    completions = request["completions"]
    extra = request.get("extra_data")
    results = []
    for code in request["functions"]:
        try:
            results.append({"rewards": _call_reward(code, completions, extra), "error": None})
        except RewardError as error:
            results.append({"rewards": None, "error": str(error)})
    return {"results": results}


_OPS = {"restricted": _op_restricted, "validate": _op_validate, "score": _op_score}


def _god_dispatch(line):
    request = _json.loads(line)
    seconds = float(request.get("deadline_s", 5))
    call = _Deadline(seconds, f"call timed out after {seconds:g} s")
    try:
        with call:
            body = _OPS[request["op"]](request)
        response = {"type": "result", "id": request.get("id"), "ok": True, "body": body}
    except BaseException as error:  # noqa: BLE001 - the call fails, the interpreter stays
        response = {"type": "result", "id": request.get("id"), "ok": False, "error": _describe(error)}
    _deadlines.clear()
    return _json.dumps(response, allow_nan=False)
