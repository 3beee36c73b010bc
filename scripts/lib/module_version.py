#!/usr/bin/env python3
"""Whether a Python module imports here, and the version of the package that ships it.

    module_version.py MODULE [DISTRIBUTION]

Imports MODULE (with the caller's PYTHONPATH) and prints the installed version of
DISTRIBUTION (default: MODULE), or an empty line when the package has no metadata.
Exits 1, printing nothing, when the import fails. Shell scripts call this file rather
than carry Python inline (scripts/bench/install.sh checks the awslambdaric peer with it).
"""

import importlib
import importlib.metadata
import sys


def main(argv):
    if len(argv) not in (1, 2):
        sys.exit(__doc__)
    module, distribution = argv[0], argv[-1]
    try:
        importlib.import_module(module)
    except ImportError:
        return 1
    try:
        print(importlib.metadata.version(distribution))
    except importlib.metadata.PackageNotFoundError:
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
