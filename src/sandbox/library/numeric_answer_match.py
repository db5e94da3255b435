def numeric_answer_match(completions, extra_data=None, **kwargs):
    """1.0 when the last number in the completion equals the expected number (relative tolerance 1e-6,
    thousands separators ignored), else 0.0. extra_data per completion: a number, a numeric string, or a
    dict / JSON object with an "answer" key."""
    import json
    import math
    import re

    number = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")

    def expected_of(item):
        if isinstance(item, str):
            try:
                item = json.loads(item)
            except ValueError:
                pass
        if isinstance(item, dict):
            item = item.get("answer")
        try:
            value = float(str(item).replace(",", ""))
        except (TypeError, ValueError):
            return None
        return value if math.isfinite(value) else None

    if not extra_data:
        return [0.0 for _ in completions]
    if isinstance(extra_data, (str, dict, int, float)):
        extra_data = [extra_data] * len(completions)
    scores = []
    for text, item in zip(completions, extra_data):
        expected = expected_of(item)
        found = number.findall((text or "").replace(",", ""))
        if expected is None or not found:
            scores.append(0.0)
            continue
        try:
            got = float(found[-1])
        except (ValueError, OverflowError):
            scores.append(0.0)
            continue
        scores.append(1.0 if math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9) else 0.0)
    return scores
