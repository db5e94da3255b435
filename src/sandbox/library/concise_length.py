def concise_length(completions, **kwargs):
    """Prefers answers of at most 200 words: 1.0 up to 200 words, falling linearly to 0.0 at 400 words."""
    scores = []
    for text in completions:
        words = len((text or "").split())
        scores.append(max(0.0, min(1.0, (400 - words) / 200)))
    return scores
