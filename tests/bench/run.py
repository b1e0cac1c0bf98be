"""Run every benchmark and print its figures: ``.venv/bin/python tests/bench/run.py``.

Runs ``pytest -m bench`` on every benchmark file in this folder (``bench_*.py`` and
``test_*bench*.py``; the ``bench_`` files are outside pytest's default file pattern, so
they are named explicitly) in one pytest process, shows pytest's output as it comes, then
prints the machine and every figure line (``name: value unit``) in one block.

It used to start one process per file: with PySide6 6.12 the interpreter aborted at exit
(``bool_dealloc``), the refcount defect of issue 14, and took the next file with it. The
pin in pyproject.toml removed the cause, so one process serves again. The core
benchmark's table lines (``label   12.3 ms``) become ``core_<label>``.

Options: ``--only NAME`` (repeatable; a file name without ``.py``), ``--json PATH`` to also
write the figures as JSON. Extra arguments after ``--`` go to pytest. The exit code is the
pytest's exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIGURE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*): (-?[0-9][0-9.,]*) ?(.*)$")
CORE_ROW = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_ ,()x-]*?)\s{2,}([0-9.]+) ms(.*)$")


def bench_files(only: list[str]) -> list[Path]:
    files = sorted({*HERE.glob("bench_*.py"), *HERE.glob("test_*bench*.py")})
    if only:
        files = [f for f in files if f.stem in only]
    return files


def machine() -> dict[str, str]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:", 1)[1].split()[0])
        ram = f"{kib / 1024 / 1024:.1f} GiB"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": ram,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def figures(output: str) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for raw in output.splitlines():
        line = raw.strip().removeprefix(".").strip()
        match = FIGURE.match(line)
        if match:
            found.append((match[1], match[2], match[3].strip()))
            continue
        row = CORE_ROW.match(line)
        if row:
            name = "core_" + re.sub(r"[^a-z0-9]+", "_", row[1].lower()).strip("_")
            found.append((name, row[2], ("ms " + row[3].strip()).strip()))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="a bench file's stem")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest")
    args = parser.parse_args(argv)
    files = bench_files(args.only)
    if not files:
        print("no benchmark files matched", file=sys.stderr)
        return 2
    lines: list[str] = []
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-m",
        "bench",
        "-s",
        "-q",
        "-p",
        "no:cacheprovider",
        *(str(path.relative_to(ROOT)) for path in files),
        *args.pytest_args,
    ]
    print("$", " ".join(command), flush=True)
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, bufsize=1)
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    code = proc.wait()
    if code != 0:
        print(f"!! pytest exited with {code}", flush=True)

    found = figures("".join(lines))
    info = machine()
    print()
    print("== machine ==")
    for key, value in info.items():
        print(f"{key}: {value}")
    print("== figures ==")
    for name, value, unit in found:
        print(f"{name}: {value} {unit}".rstrip())
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "figures": [{"name": n, "value": v, "unit": u} for n, v, u in found],
                    "exit_code": code,
                },
                indent=2,
            )
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
