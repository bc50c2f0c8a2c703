"""``python -m bot``: the same as the ``digestbot`` console script."""

from bot.cli import main

raise SystemExit(main())
