#!/usr/bin/env python3
"""Build the frozen app (PyInstaller one-folder bundle) and, on Linux, its ``.deb``.

One command, from the repository root, with any Python 3.11+::

    python3 packaging/build.py            # bundle + .deb (Linux); bundle only elsewhere
    python3 packaging/build.py --clean    # the same from nothing (release builds)

Steps: a virtual environment of its own under ``build/packaging/venv`` (never the
development ``.venv``: whatever is installed there would leak into the bundle),
``pip install .[package]`` (the project as a wheel, plus PyInstaller), the app icon
rendered for the platform, PyInstaller on ``packaging/companion.spec``, and on Linux
``dpkg-deb --build --root-owner-group`` of an ``/opt`` tree. Windows installers come
from ``packaging/windows/companion.iss`` (Inno Setup) run on the bundle afterwards.

Re-runs are incremental: the venv is kept while ``pyproject.toml`` and the Python
version are unchanged, and the bundle is kept while a hash of everything that goes
into it (sources, resources, spec, this file) is unchanged. A lock file serialises
concurrent builds in one tree (two test runs at once).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

_log = logging.getLogger("companion.packaging")

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
BUILD = ROOT / "build" / "packaging"
VENV = BUILD / "venv"
WORK = BUILD / "work"
DIST = BUILD / "dist"
ICONS = BUILD / "icons"
DEB_DIR = BUILD / "deb"
STAMP = BUILD / "bundle.json"

# Names shared with the spec, the desktop entry, the Inno Setup script and the tests.
BUNDLE_NAME = "streamer-companion"
PACKAGE_NAME = "streamer-companion"
INSTALL_DIR = f"/opt/{PACKAGE_NAME}"
COMMAND_NAME = "companion"
# A reserved (.invalid) address until the project has a real one to publish.
MAINTAINER = "Streamer Companion team <packaging@streamer-companion.invalid>"

# What the bundle loads from the system rather than carrying. PyInstaller leaves out
# on purpose libc, libGL/libEGL (they must match the machine's graphics driver),
# libxcb (tied to the graphics stack's libxcb-dri, whose ABI moves) and Wayland's
# client libraries (a Wayland desktop has them); everything else Qt links is carried,
# as built on the build machine. The frozen-bundle test
# reads the DT_NEEDED entries of every ELF file in the bundle and fails if a library
# the bundle lacks belongs to a package missing here (``external_libraries``).
# libc6's minimum version is filled in from the bundle's newest GLIBC_ symbol.
DEB_DEPENDS = (
    "libgl1",
    "libegl1",
    "libxcb1",
    "libwayland-client0",
    "libwayland-cursor0",
    "libwayland-egl1",
    # Data the carried libraries read from the system: fontconfig's configuration
    # (without it no font is found) and the XKB keymaps (without them no keyboard).
    "fontconfig-config",
    "xkb-data",
)
# Not needed to start, but without any font every glyph is a box.
DEB_RECOMMENDS = ("fonts-dejavu-core",)
DEB_SECTION = "video"
DEB_DESCRIPTION = (
    "desktop companion for Twitch streamers\n"
    " Manage channel-points rewards, work through the redemption queue, run\n"
    " predictions and polls, and follow creator goals and extensions while live.\n"
    " Tokens are kept in the operating system's keyring. A demo mode runs the app\n"
    " against a built-in Twitch simulator without an account."
)

# Everything whose change makes a new bundle (the venv's own key is separate). The
# .deb is rebuilt on every run, so its own inputs (packaging/linux) are not here.
_BUNDLE_INPUTS = (
    "companion",
    "resources",
    "pyproject.toml",
    "packaging/build.py",
    "packaging/companion.spec",
    "packaging/entry.py",
    "packaging/icons.py",
    "packaging/macos/Info.plist",
)


def project_version() -> str:
    """The version from ``companion/__init__.py`` (read, not imported)."""
    text = (ROOT / "companion" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise RuntimeError("no __version__ in companion/__init__.py")
    return match.group(1)


def venv_python() -> Path:
    """The build venv's interpreter."""
    if sys.platform == "win32":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def bundle_dir() -> Path:
    """The one-folder bundle PyInstaller writes."""
    return DIST / BUNDLE_NAME


def bundle_executable() -> Path:
    """The frozen app's executable inside the bundle."""
    suffix = ".exe" if sys.platform == "win32" else ""
    return bundle_dir() / f"{BUNDLE_NAME}{suffix}"


def deb_path() -> Path:
    """Where the ``.deb`` is written."""
    return DEB_DIR / f"{PACKAGE_NAME}_{project_version()}_{deb_architecture()}.deb"


def deb_architecture() -> str:
    """Debian's name for this machine's architecture."""
    return _output(["dpkg", "--print-architecture"]).strip()


def _run(cmd: list[str | os.PathLike[str]], **kwargs: object) -> None:
    _log.info("$ %s", " ".join(map(str, cmd)))
    subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]


def _output(cmd: list[str]) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def _files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_file():
            yield path
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and "__pycache__" not in child.parts:
                    yield child


def _digest(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in _files(paths):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def venv_key() -> str:
    """What the build venv depends on: the project's dependencies and the interpreter."""
    return _digest([ROOT / "pyproject.toml"]) + f"-py{sys.version_info[0]}.{sys.version_info[1]}"


def bundle_key() -> str:
    """What the bundle depends on: sources, resources, spec, this builder and the venv."""
    return _digest(ROOT / name for name in _BUNDLE_INPUTS) + "-" + venv_key()


def _read_stamp() -> dict[str, str]:
    try:
        data = json.loads(STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_stamp(**values: str) -> None:
    stamp = _read_stamp()
    stamp.update(values)
    STAMP.write_text(json.dumps(stamp, indent=2, sort_keys=True), encoding="utf-8")


@contextlib.contextmanager
def build_lock() -> Iterator[None]:
    """Hold an exclusive lock on ``build/packaging`` (two test runs in one tree)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    with (BUILD / ".lock").open("a+") as handle:
        try:
            import fcntl
        except ImportError:  # Windows: builds there are run by hand, one at a time
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_venv() -> None:
    """Create the build venv and install the project with PyInstaller, if not current."""
    key = venv_key()
    if venv_python().exists() and _read_stamp().get("venv") == key:
        _log.info("build venv is current")
        return
    shutil.rmtree(VENV, ignore_errors=True)
    _log.info("creating the build venv in %s", VENV)
    venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    pip = [str(venv_python()), "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "install", "--upgrade", "pip"])
    _run([*pip, "install", f"{ROOT}[package]"])
    _write_stamp(venv=key, bundle="")


def install_project() -> None:
    """Reinstall just the project (sources changed, dependencies did not)."""
    _run(
        [
            str(venv_python()),
            *("-m", "pip", "--disable-pip-version-check", "-q", "install"),
            *("--no-deps", "--force-reinstall", str(ROOT)),
        ]
    )


def render_icons() -> None:
    """Render the SVG icon as the platform's icon file (``.ico``/``.icns``) for the spec."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    _run(
        [str(venv_python()), str(PACKAGING / "icons.py"), str(ICONS)],
        env=env,
    )


def run_pyinstaller() -> None:
    """Freeze the app into ``build/packaging/dist/streamer-companion``."""
    env = dict(os.environ, COMPANION_ICON_DIR=str(ICONS))
    # Run from build/packaging, not the checkout: `python -m` would put the working
    # folder first on sys.path, and the bundle would take ./companion (the source
    # tree) instead of the installed wheel this build is meant to test.
    _run(
        [
            str(venv_python()),
            "-c",
            "import sys; from PyInstaller.__main__ import run; sys.exit(run())",
            *("--noconfirm", "--log-level", "WARN"),
            *("--distpath", str(DIST), "--workpath", str(WORK)),
            str(PACKAGING / "companion.spec"),
        ],
        env=env,
        cwd=BUILD,
    )


def build_bundle(*, force: bool = False) -> Path:
    """Build the bundle unless an up-to-date one exists. Returns its folder."""
    ensure_venv()
    key = bundle_key()
    if not force and bundle_executable().exists() and _read_stamp().get("bundle") == key:
        _log.info("bundle is current: %s", bundle_dir())
        return bundle_dir()
    started = time.monotonic()
    install_project()
    render_icons()
    run_pyinstaller()
    _write_stamp(bundle=key)
    _log.info("bundle built in %.1f s: %s", time.monotonic() - started, bundle_dir())
    return bundle_dir()


def _is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def _needed(path: Path) -> set[str]:
    out = _output(["objdump", "-p", str(path)])
    return set(re.findall(r"^\s*NEEDED\s+(\S+)", out, re.MULTILINE))


def external_libraries(bundle: Path) -> dict[str, str]:
    """Libraries the bundle's ELF files link that the bundle does not carry.

    Returns ``soname: path on this machine`` (``""`` where this machine has none).
    Only direct links (DT_NEEDED) count: what those system libraries need in turn
    is their own packages' business.
    """
    elf_files = [p for p in _files([bundle]) if not p.is_symlink() and _is_elf(p)]
    carried = {p.name for p in _files([bundle])}
    missing: set[str] = set()
    for path in elf_files:
        missing |= _needed(path) - carried
    cache = _output(["/sbin/ldconfig", "-p"])
    found: dict[str, str] = {}
    for soname in sorted(missing):
        match = re.search(rf"^\s*{re.escape(soname)} \(([^)]*)\) => (\S+)", cache, re.MULTILINE)
        found[soname] = match.group(2) if match else ""
    return found


# The C library's own sonames, all in libc6.
_LIBC_SONAMES = re.compile(r"^(ld-linux.*|libc|libm|libdl|libpthread|libresolv|librt)\.so")


def soname_package(soname: str) -> str:
    """The Debian package that ships ``soname``, by Debian's library naming policy.

    ``libFoo_bar.so.1`` is in ``libfoo-bar1``, ``libfoo2.so.0`` in ``libfoo2-0``, and the C
    library's sonames are in ``libc6``. The test cross-checks this with ``dpkg -S``
    wherever the library is installed; the rule covers build machines that lack one.
    """
    if _LIBC_SONAMES.match(soname):
        return "libc6"
    match = re.fullmatch(r"(lib.+?)\.so\.(\d+)(?:\..*)?", soname)
    if match is None:
        raise ValueError(f"unexpected soname {soname!r}")
    # Package names are lower case and have no underscores.
    name, major = match.group(1).lower().replace("_", "-"), match.group(2)
    return f"{name}-{major}" if name[-1].isdigit() else f"{name}{major}"


def owning_package(path: str) -> str:
    """The Debian package that installed ``path`` (merged /usr aware), or ``""``."""
    real = os.path.realpath(path)
    for candidate in dict.fromkeys([path, real, "/usr" + path, "/usr" + real]):
        result = subprocess.run(
            ["dpkg", "-S", candidate], capture_output=True, text=True, check=False
        )
        if result.returncode == 0:
            return result.stdout.split(":", 1)[0].strip()
    return ""


def glibc_floor(bundle: Path) -> str:
    """The newest ``GLIBC_x.y`` symbol version any ELF file in the bundle asks for."""
    versions = {(2, 17)}
    for path in _files([bundle]):
        if not path.is_symlink() and _is_elf(path):
            for major, minor in re.findall(rb"GLIBC_(\d+)\.(\d+)", path.read_bytes()):
                versions.add((int(major), int(minor)))
    major, minor = max(versions)
    return f"{major}.{minor}"


def deb_depends(bundle: Path) -> list[str]:
    """The control file's Depends: libc6 with its minimum version, then DEB_DEPENDS."""
    return [f"libc6 (>= {glibc_floor(bundle)})", *DEB_DEPENDS]


def _changelog(version: str) -> bytes:
    """A Debian changelog entry for this version (policy wants one in every package).

    Dated from ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now.
    """
    stamp = float(os.environ.get("SOURCE_DATE_EPOCH") or time.time())
    return (
        f"{PACKAGE_NAME} ({version}) unstable; urgency=medium\n\n"
        f"  * Streamer Companion {version}, packaged from the project's sources.\n\n"
        f" -- {MAINTAINER}  {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime(stamp))}\n"
    ).encode()


def _deb_tree(bundle: Path, root: Path, version: str) -> None:
    """Lay out the package's files under ``root`` (the future ``/``)."""
    shutil.rmtree(root, ignore_errors=True)
    opt = root / INSTALL_DIR.lstrip("/")
    shutil.copytree(bundle, opt, symlinks=True)
    bin_dir = root / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    # Absolute, as Debian policy wants for links between top-level folders; the
    # bootloader resolves the link to find its _internal folder.
    (bin_dir / COMMAND_NAME).symlink_to(f"{INSTALL_DIR}/{BUNDLE_NAME}")
    apps = root / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    shutil.copy2(PACKAGING / "linux" / f"{PACKAGE_NAME}.desktop", apps)
    icons = root / "usr" / "share" / "icons" / "hicolor" / "scalable" / "apps"
    icons.mkdir(parents=True)
    shutil.copy2(ROOT / "resources" / "icons" / "companion.svg", icons / f"{PACKAGE_NAME}.svg")
    doc = root / "usr" / "share" / "doc" / PACKAGE_NAME
    doc.mkdir(parents=True)
    shutil.copy2(PACKAGING / "linux" / "copyright", doc / "copyright")
    (doc / "changelog.gz").write_bytes(gzip.compress(_changelog(version), 9, mtime=0))
    # dpkg keeps whatever modes it is given: directories and executables 0755,
    # everything else (shared libraries included, as policy asks) 0644.
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        is_library = re.search(r"\.so(\.[\d.]+)?$", path.name) is not None
        if path.is_dir() or (os.access(path, os.X_OK) and not is_library):
            path.chmod(0o755)
        else:
            path.chmod(0o644)
    (opt / BUNDLE_NAME).chmod(0o755)
    installed_kib = sum(p.lstat().st_size for p in root.rglob("*")) // 1024 + 1
    control = "\n".join(
        [
            f"Package: {PACKAGE_NAME}",
            f"Version: {version}",
            f"Architecture: {deb_architecture()}",
            f"Maintainer: {MAINTAINER}",
            f"Installed-Size: {installed_kib}",
            f"Depends: {', '.join(deb_depends(bundle))}",
            f"Recommends: {', '.join(DEB_RECOMMENDS)}",
            f"Section: {DEB_SECTION}",
            "Priority: optional",
            f"Description: {DEB_DESCRIPTION}",
            "",
        ]
    )
    debian = root / "DEBIAN"
    debian.mkdir(mode=0o755)
    (debian / "control").write_text(control, encoding="utf-8")
    (debian / "control").chmod(0o644)
    # No maintainer scripts: dpkg itself removes every file it installed, so nothing
    # is left behind after `apt remove`. The icon cache and desktop database are
    # refreshed by the triggers that hicolor-icon-theme and desktop-file-utils own.


def build_deb(bundle: Path, *, compression: str = "xz") -> Path:
    """Package the bundle as a ``.deb`` installing to ``/opt/streamer-companion``."""
    version = project_version()
    root = DEB_DIR / "root"
    _deb_tree(bundle, root, version)
    out = deb_path()
    out.unlink(missing_ok=True)
    started = time.monotonic()
    level = {"xz": ["-z1"], "gzip": ["-z6"]}.get(compression, [])
    _run(
        [
            *("dpkg-deb", f"-Z{compression}", *level, "--root-owner-group"),
            *("--build", str(root), str(out)),
        ]
    )
    shutil.rmtree(root)
    _log.info("package built in %.1f s: %s", time.monotonic() - started, out)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--clean", action="store_true", help="remove build/packaging first")
    parser.add_argument(
        "--no-deb", action="store_true", help="stop after the bundle (no Linux package)"
    )
    # Measured on 2 cores for the 141 MB bundle: xz level 1 takes 17 s for 46 MB,
    # where xz's usual level 6 takes 70 s for 42 MB and gzip -6 9 s for 56 MB. zstd
    # (1.5 s, 55 MB) is quickest and Debian 12's dpkg reads it, but it is not an
    # official .deb member format (lintian: malformed-deb-archive), so xz is default.
    parser.add_argument(
        "--compression",
        default="xz",
        choices=["xz", "gzip", "zstd", "none"],
        help="the .deb's compression (default xz, level 1)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[build] %(message)s")
    with build_lock():
        if args.clean:
            for child in BUILD.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
                elif child.name != ".lock":
                    child.unlink()
        bundle = build_bundle()
        print(f"bundle: {bundle}")
        if sys.platform.startswith("linux") and not args.no_deb:
            print(f"deb: {build_deb(bundle, compression=args.compression)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
