"""Writes fiber-2.4.0.json: message bytes and json.dumps bodies as fiber 2.4.0's client builds them.

Run with any CPython 3 (stdlib only): python3 src/net/vectors/make_vectors.py
Only the parts that need no sr25519 library are computed here (body text, body hash, signing message);
the TypeScript tests sign and verify those exact bytes.

Inputs are written as tagged trees so the float/int distinction survives JSON:
{"$float": "1.0"} is a Python float, {"$int": "123..."} a Python int of any size, {"$map": [[k, v], ...]}
a dict with that key order.
"""
import hashlib
import json
import pathlib

ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
NONCE = "1723456789123456789_aB3dE5fG7h"


def build(tagged):
    if isinstance(tagged, dict):
        if "$float" in tagged:
            return float(tagged["$float"])
        if "$int" in tagged:
            return int(tagged["$int"])
        if "$map" in tagged:
            return {k: build(v) for k, v in tagged["$map"]}
        return {k: build(v) for k, v in tagged.items()}
    if isinstance(tagged, list):
        return [build(v) for v in tagged]
    return tagged


def message(nonce, miner, body):
    # fiber: "{nonce}:{miner_hotkey}" for GET, plus ":{sha256 hex of the body bytes}" for POST
    if body is None:
        return f"{nonce}:{miner}"
    return f"{nonce}:{miner}:{hashlib.sha256(body).hexdigest()}"


PAYLOADS = {
    "minimal": {"a": 1},
    "task_offer": {
        "$map": [
            ["ds_size", 12000],
            ["model", "unsloth/Llama-3.2-1B"],
            ["hours_to_complete", {"$float": "3"}],
            ["task_id", "0b5c3f6e-2f7e-4bd1-9d51-3a2f1c7b9e10"],
            ["task_type", "InstructTextTask"],
            ["model_params_count", 1235814400],
        ]
    },
    "train_request_text": {
        "$map": [
            ["model", "Qwen/Qwen2.5-0.5B"],
            ["task_id", "9e1d2c3b-4a5f-6e7d-8c9b-0a1b2c3d4e5f"],
            ["hours_to_complete", {"$float": "1.5"}],
            ["expected_repo_name", None],
            ["dataset", "https://example.invalid/ds.json?X-Amz-Signature=ab%2Fcd&x=1"],
            ["dataset_type", {"$map": [["system_prompt", ""], ["field_instruction", "instruction"], ["field_input", None], ["field_output", "output"], ["format", None], ["no_input_format", None], ["field", None]]}],
            ["file_format", "s3"],
        ]
    },
    "tricky": {
        "$map": [
            ["unicode", "caf\u00e9 \u65e5\u672c \U0001F600 \u2028"],
            ["controls", "tab\tnl\ncr\rbs\bff\fnul\u0000del\u007f quote\" backslash\\ slash/"],
            ["floats", [{"$float": "1.0"}, 1, {"$float": "0.1"}, {"$float": "1e16"}, {"$float": "1e15"}, {"$float": "1e-5"}, {"$float": "0.0001"}, {"$float": "-0.0"}, {"$float": "123456789.125"}, {"$float": "2.5e-300"}, {"$float": "1.7976931348623157e308"}, {"$float": "5e-324"}]],
            ["big_int", {"$int": "123456789012345678901234567890"}],
            ["nested", {"$map": [["z", []], ["a", {}], ["m", [[], [{}], None, True, False]]]}],
            ["key order", {"$map": [["b", 1], ["a", 2], ["\u00e9", 3]]}],
            ["empty", ""],
        ]
    },
}

vectors = {
    "source": "fiber 2.4.0 validator client: body = json.dumps(payload).encode(); message per construct_header_signing_message",
    "validator_uri": "//Alice",
    "validator_hotkey": ALICE,
    "miner_hotkey": BOB,
    "nonce": NONCE,
    "get": {"message": message(NONCE, BOB, None)},
    "posts": [],
}
for name, tagged in PAYLOADS.items():
    body = json.dumps(build(tagged)).encode()
    vectors["posts"].append({
        "name": name,
        "payload": tagged,
        "body": body.decode("ascii"),
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "message": message(NONCE, BOB, body),
    })

out = pathlib.Path(__file__).with_name("fiber-2.4.0.json")
out.write_text(json.dumps(vectors, indent=2) + "\n")
print(f"wrote {out}")
