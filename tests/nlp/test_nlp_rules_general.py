"""Rules on text from outside survey forms: social-media complaints, review sentences, gratitude."""

from __future__ import annotations

import pytest

from nlp.types import VerbatimInput


@pytest.mark.parametrize(("text", "sentiment", "praise"), [
    ("Huge thanks to the nurse who stayed late to explain everything to my mom.", "positive", True),
    ("you guys rock", "positive", True),
    ("The driver went out of his way to help.", "positive", True),
    ("Our delivery was late again.", "negative", False),
    ("Prices hit rock bottom and so did the quality.", "negative", False),
    ("The battery life is amazing but the screen is way too dim outdoors.", "mixed", True),
    ("What a great team.", "positive", True),
    ("What a mess.", "negative", False),
    ("Props to the mods for handling this", "positive", True),
    ("Service was slow but the food was delicious.", "mixed", True),
    ("The screen is gorgeous but the battery dies by noon.", "mixed", True),
    ("@AmazonHelp my package says delivered but it's not here", "negative", False),
    ("The cake was to die for.", "positive", True),
    ("They charged my card twice and refused a refund.", "negative", False),
    ("I refuse to go back to spreadsheets, this tool is great.", "positive", True),
    ("Why can't I log in???", "negative", False),
    ("Been on hold for 2 hours. 2 HOURS.", "negative", False),
    ("My order arrived damaged and the box was soaked.", "negative", False),
    ("smh @Verizon, no signal all day", "negative", False),
])
def test_general_english_praise_and_complaints(engine: object, text: str, sentiment: str, praise: bool) -> None:
    """Effort and informal admiration count as praise; "late" and "rock bottom" stay complaints."""
    [result] = engine.analyze([VerbatimInput(text=text)])  # type: ignore[attr-defined]
    assert (result.sentiment, result.praise) == (sentiment, praise)
