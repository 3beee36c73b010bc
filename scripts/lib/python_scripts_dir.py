#!/usr/bin/env python3
"""Prints the directory where this Python's pip puts console scripts (moto_server,
cargo-lambda), so that .ci/run can put it on PATH: on some images it is not there.

    python3 scripts/lib/python_scripts_dir.py
"""

import sysconfig

if __name__ == "__main__":
    print(sysconfig.get_path("scripts"))
