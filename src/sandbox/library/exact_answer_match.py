def exact_answer_match(completions, extra_data=None, **kwargs):
    """1.0 when the completion's answer equals the expected answer, else 0.0. The answer is the text inside the
    last <answer>…</answer> block, or the last non-empty line; both sides are compared case- and
    whitespace-insensitively. extra_data per completion: the expected answer as a string, a JSON string, or a
    dict / JSON object with an "answer" key."""
    import json
    import re

    def normalise(text):
        return " ".join(str(text).split()).casefold()

    def expected_of(item):
        if isinstance(item, str):
            try:
                item = json.loads(item)
            except ValueError:
                return item
        if isinstance(item, dict):
            item = item.get("answer")
        return None if item is None else str(item)

    def answer_of(text):
        blocks = re.findall(r"<answer>(.*?)</answer>", text or "", re.DOTALL)
        if blocks:
            return blocks[-1]
        lines = [line for line in (text or "").splitlines() if line.strip()]
        return lines[-1] if lines else ""

    if not extra_data:
        return [0.0 for _ in completions]
    if isinstance(extra_data, (str, dict)):
        extra_data = [extra_data] * len(completions)
    scores = []
    for text, item in zip(completions, extra_data):
        expected = expected_of(item)
        scores.append(1.0 if expected is not None and normalise(answer_of(text)) == normalise(expected) else 0.0)
    return scores
