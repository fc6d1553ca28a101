#!/usr/bin/env python3
"""Size limits of the sources (issue 14): no file over 600 lines and no function, initializer or
closure-bodied declaration over 80 lines in Sources/, migrations and generated files aside.
Prints every offender and exits 1 if there is one."""
import pathlib
import re
import sys

FILE_MAX = 600
FUNC_MAX = 80
EXEMPT = ("Sources/XinfangStore/Migrations/", "Sources/XinfangCore/NationalHolidays.swift")
DECL = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|private|fileprivate|internal|package|static|class|mutating|nonisolated|override|final|convenience|required)\s+)*(func\s+[^\s(<]+|init[?!]?|deinit)\s*[(<{]?")
STRING = re.compile(r'"(?:\\.|[^"\\])*"')


def code_lines(text):
    """The lines with string literals blanked, multi-line strings and comments removed."""
    out, in_block = [], False
    for line in text.split("\n"):
        if in_block:
            if '"""' in line:
                in_block = False
                line = line.split('"""', 1)[1]
            else:
                out.append("")
                continue
        if line.count('"""') % 2 == 1:
            in_block = True
            line = line.split('"""', 1)[0]
        line = STRING.sub('""', line.replace('"""', ""))
        line = line.split("//", 1)[0]
        out.append(line)
    return out


def long_functions(path, lines):
    found = []
    for i, line in enumerate(lines):
        match = DECL.match(line)
        if not match:
            continue
        depth, opened = 0, False
        for j in range(i, len(lines)):
            depth += lines[j].count("{") - lines[j].count("}")
            opened = opened or "{" in lines[j]
            if opened and depth <= 0:
                length = j - i + 1
                if length > FUNC_MAX:
                    found.append(f"{path}:{i + 1}: {match.group(1).strip()} is {length} lines (limit {FUNC_MAX})")
                break
            if not opened and j > i + 15:  # a protocol requirement: no body
                break
    return found


def main():
    problems = []
    for path in sorted(pathlib.Path("Sources").rglob("*.swift")):
        name = path.as_posix()
        if name.startswith(EXEMPT):
            continue
        text = path.read_text(encoding="utf-8")
        count = text.count("\n")
        if count > FILE_MAX:
            problems.append(f"{name}: {count} lines (limit {FILE_MAX})")
        problems += long_functions(name, code_lines(text))
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
