def code_output_match(completions, extra_data=None, **kwargs):
    """Runs the first fenced Python block of the completion through restricted_execution with the row's input and
    compares what it prints with the expected output (trailing whitespace of each line and trailing blank lines
    ignored): 1.0 on a match, 0.1 when the code ran but printed something else, 0.0 when there is no code, it
    failed or timed out, or it printed nothing (empty output never matches a non-empty expectation).
    extra_data per completion: a dict / JSON object with "input" (text) and "expected_output" (text)."""
    import json
    import re

    fence = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.DOTALL)

    def lines_of(text):
        lines = [line.rstrip() for line in str(text).splitlines()]
        while lines and not lines[-1]:
            lines.pop()
        return lines

    if not extra_data:
        return [0.0 for _ in completions]
    if isinstance(extra_data, (str, dict)):
        extra_data = [extra_data] * len(completions)
    scores = []
    for text, item in zip(completions, extra_data):
        if isinstance(item, str):
            try:
                item = json.loads(item)
            except ValueError:
                item = None
        if not isinstance(item, dict) or "expected_output" not in item:
            scores.append(0.0)
            continue
        match = fence.search(text or "")
        if not match:
            scores.append(0.0)
            continue
        output, error = restricted_execution(match.group(1), str(item.get("input", "")))
        expected = lines_of(item["expected_output"])
        got = lines_of(output)
        if error or (not got and expected):
            scores.append(0.0)
        elif got == expected:
            scores.append(1.0)
        else:
            scores.append(0.1)
    return scores
