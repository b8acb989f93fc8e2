"""airace: follow the AI race in the news and in the markets. The composition root."""

__version__ = "0.1.0"
