def think_answer_format(completions, **kwargs):
    """1.0 when the completion is exactly a <think>…</think> block followed by an <answer>…</answer> block
    (whitespace between and around them allowed, blocks may span lines), else 0.0."""
    import re

    pattern = re.compile(r"\s*<think>.*?</think>\s*<answer>.*?</answer>\s*", re.DOTALL)
    return [1.0 if pattern.fullmatch(text or "") else 0.0 for text in completions]
