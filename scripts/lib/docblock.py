#!/usr/bin/env python3
"""Replaces a generated block of a Markdown file, leaving the hand-written rest alone.

    docblock.py FILE NAME [HEADING] < content

The block is the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`; when the
file has no such block, one is appended (under HEADING, if given). Every script that
writes measured figures into docs/ goes through `replace_block` (shell scripts through
this command line, Python ones by importing it).
"""

import os
import re
import sys


def replace_block(path, name, body, heading=None, new_file_text=""):
    """Writes `body` as block `name` of the file at `path`."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    text = open(path).read() if os.path.exists(path) else new_file_text
    if begin in text:
        pattern = re.escape(begin) + r".*?" + re.escape(end)
        text = re.sub(pattern, lambda _: block, text, flags=re.S)
    else:
        before = text.rstrip("\n") + "\n\n" if text.strip() else ""
        text = before + (f"{heading}\n\n" if heading else "") + block + "\n"
    with open(path, "w") as out:
        out.write(text)


if __name__ == "__main__":
    replace_block(sys.argv[1], sys.argv[2], sys.stdin.read(),
                  heading=sys.argv[3] if len(sys.argv) > 3 else None)
