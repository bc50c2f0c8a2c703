"""digestbot's core: sources -> store -> topics/summaries -> stories -> digests -> renderers.

Nothing in this package imports a chat SDK; the platforms live in ``bot/``.
"""

__version__ = "0.1.0"
