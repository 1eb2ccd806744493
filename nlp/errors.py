"""Errors shared by the NLP modules and the CLI (kept import-light)."""


class DataFileError(ValueError):
    """A labelled or input file is missing or malformed (the message names the line)."""
