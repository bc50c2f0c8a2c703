"""The YAML loader for configuration: libyaml's safe loader when PyYAML has it (its wheels do).

The shipped config carries about 2,000 lines of topic terms: the pure-Python loader takes about
0.4 s to read them, libyaml a tenth of that, on every command. Both build the same values and
nodes (with line marks for ``file:line:`` errors); neither constructs arbitrary objects.
"""

from __future__ import annotations

import yaml

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

__all__ = ["SafeLoader"]
