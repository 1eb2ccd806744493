"""Translations ship compiled and complete, so a clean checkout speaks German without a build step."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "webapp" / "translations"


def test_every_german_message_is_translated() -> None:
    """No empty or fuzzy entry in the German catalog."""
    with open(TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []


def test_committed_mo_matches_the_po() -> None:
    """The compiled .mo holds exactly the .po's translations (run pybabel compile after editing)."""
    with open(TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        po = {m.id: m.string for m in read_po(fh) if m.id}
    with open(TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        mo = {m.id: m.string for m in read_mo(fh) if m.id}
    assert mo == po
