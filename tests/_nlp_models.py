"""Models shared by the NLP tests: loaded once per test process, whichever test file asks first."""

from __future__ import annotations

from functools import lru_cache

from nlp.annotate import Analyzer


@lru_cache(maxsize=1)
def shared_analyzer() -> Analyzer:
    """The real spaCy pipelines (en, fr) and the bundled embedding model, loaded once."""
    return Analyzer().load()
