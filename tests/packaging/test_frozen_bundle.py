"""The frozen app and its Debian package, built for real by ``packaging/build.py``.

The first test to need them builds the bundle (a clean venv under build/packaging,
the project installed as a wheel, PyInstaller) unless an up-to-date one is there,
then the ``.deb``. A cold build takes about 80 s on 2 cores (venv 25 s with pip's
cache warm, PyInstaller 35 s, dpkg-deb with xz 17 s) and more on a busy machine,
hence the generous timeouts. Nothing here touches the real system: the package is
installed into a scratch dpkg root.
"""

from __future__ import annotations

import configparser
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from companion import __version__

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

pytestmark = pytest.mark.timeout(600)

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "packaging" / "build.py"
BUNDLE_NAME = "streamer-companion"
INSTALL_DIR = "opt/streamer-companion"


@dataclass(frozen=True)
class Built:
    bundle: Path
    deb: Path
    build_log: str

    @property
    def executable(self) -> Path:
        return self.bundle / BUNDLE_NAME

    @property
    def internal(self) -> Path:
        return self.bundle / "_internal"


@pytest.fixture(scope="module")
def built() -> Iterator[Built]:
    """Run the one build command, exactly as a developer would.

    Then hold the build folder's lock shared while the tests use what was built, so a
    second test run in the same tree (which takes it exclusively to rebuild) waits.
    """
    result = subprocess.run(
        [sys.executable, str(BUILD_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=540,
        cwd=ROOT,
        check=False,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    paths = dict(re.findall(r"^(bundle|deb): (.+)$", result.stdout, re.MULTILINE))
    assert set(paths) == {"bundle", "deb"}, result.stdout
    with (ROOT / "build" / "packaging" / ".lock").open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)
        try:
            yield Built(bundle=Path(paths["bundle"]), deb=Path(paths["deb"]), build_log=log)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def frozen_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["COMPANION_DATA_DIR"] = str(data_dir)
    return env


def run_frozen(executable: Path, *args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(executable), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=frozen_env(data_dir),
        check=False,
    )


def assert_smoke_test_passes(executable: Path, data_dir: Path, *args: str) -> None:
    result = run_frozen(executable, "--smoke-test", *args, data_dir=data_dir)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Traceback" not in result.stderr
    log = (data_dir / "logs" / "companion.log").read_text(encoding="utf-8")
    assert f"Streamer Companion {__version__} starting" in log
    assert "main window shown" in log
    assert log.rstrip().endswith("exit code 0")


# --- the bundle ---------------------------------------------------------------------------


def test_frozen_app_prints_its_version(built: Built, scratch_data_dir: Path) -> None:
    result = run_frozen(built.executable, "--version", data_dir=scratch_data_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"companion {__version__}\n"


def test_frozen_app_paints_its_window_and_exits_zero(built: Built, scratch_data_dir: Path) -> None:
    assert_smoke_test_passes(built.executable, scratch_data_dir)


def test_frozen_app_paints_on_a_real_x_server(built: Built, scratch_data_dir: Path) -> None:
    # Qt's xcb platform plugin with the xcb libraries the bundle carries, on Xvfb:
    # what a Linux desktop without Wayland loads.
    env = frozen_env(scratch_data_dir)
    env["QT_QPA_PLATFORM"] = "xcb"
    result = subprocess.run(
        ["xvfb-run", "--auto-servernum", str(built.executable), "--smoke-test"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    log = (scratch_data_dir / "logs" / "companion.log").read_text(encoding="utf-8")
    assert log.rstrip().endswith("exit code 0")


# keyring picks its backend from entry points and imports it by name: analysis cannot
# see that, so these runs prove the spec's hidden imports and metadata work. The app
# checks the keyring right after its window is up and warns when it has none.
NO_KEYRING = "no usable keyring"
KEYRING_WINDOW_S = 3.0


def run_app_until_keyring_checked(
    cmd: list[str], env: dict[str, str], data_dir: Path, pid_file: Path | None = None
) -> str:
    """Start the app in normal mode, give it time to check the keyring, stop it."""
    log_path = data_dir / "logs" / "companion.log"
    with subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as proc:
        try:
            deadline = time.monotonic() + 30
            while not (log_path.exists() and "main window shown" in log_path.read_text("utf-8")):
                assert proc.poll() is None, "the app exited before showing its window"
                assert time.monotonic() < deadline, "the window never came up"
                time.sleep(0.05)
            deadline = time.monotonic() + KEYRING_WINDOW_S
            while time.monotonic() < deadline and NO_KEYRING not in log_path.read_text("utf-8"):
                time.sleep(0.05)
            app_pid = int(pid_file.read_text()) if pid_file else proc.pid
            os.kill(app_pid, signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    return log_path.read_text("utf-8")


def test_frozen_app_finds_the_secret_service(built: Built, tmp_path: Path) -> None:
    # A private D-Bus session with an unlocked gnome-keyring, as CI has, in a scratch
    # HOME; the shell writes its pid and then becomes the app, so SIGTERM reaches it.
    assert shutil.which("dbus-run-session"), "scripts/dev installs dbus"
    assert shutil.which("gnome-keyring-daemon"), "scripts/dev installs gnome-keyring"
    data_dir, pid_file = tmp_path / "data", tmp_path / "app.pid"
    env = {k: v for k, v in frozen_env(data_dir).items() if not k.startswith("DBUS_")}
    env["HOME"] = str(tmp_path)
    env.pop("PYTHON_KEYRING_BACKEND", None)
    script = (
        'printf "test-password" | gnome-keyring-daemon --unlock --components=secrets'
        ' >/dev/null && echo $$ > "$1" && exec "$0"'
    )
    cmd = ["dbus-run-session", "--", "bash", "-c", script, str(built.executable), str(pid_file)]
    log = run_app_until_keyring_checked(cmd, env, data_dir, pid_file)
    assert NO_KEYRING not in log
    assert log.rstrip().endswith("exit code 0")


def test_frozen_app_says_so_without_a_keyring(built: Built, tmp_path: Path) -> None:
    # The control for the test above: no D-Bus session, so keyring falls back to its
    # "fail" backend, and the app must say so within the same time window.
    data_dir = tmp_path / "data"
    env = {k: v for k, v in frozen_env(data_dir).items() if not k.startswith("DBUS_")}
    env["HOME"] = str(tmp_path)
    env.pop("PYTHON_KEYRING_BACKEND", None)
    log = run_app_until_keyring_checked([str(built.executable)], env, data_dir)
    assert f"{NO_KEYRING}: " in log
    assert "keyring.backends.fail.Keyring" in log
    assert log.rstrip().endswith("exit code 0")


def test_frozen_app_paints_in_demo_mode(built: Built, scratch_data_dir: Path) -> None:
    # Demo mode runs the simulator (aiohttp) in-process: the frozen app must carry it.
    assert_smoke_test_passes(built.executable, scratch_data_dir, "--demo")
    log = (scratch_data_dir / "logs" / "companion.log").read_text(encoding="utf-8")
    assert "main window shown (demo=True)" in log


def test_measure_script_times_the_frozen_app(built: Built, measure: ModuleType) -> None:
    du = subprocess.run(
        ["du", "-s", "--block-size=1", str(built.bundle)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[0]
    assert measure.disk_usage_bytes(built.bundle) == int(du)
    seconds = measure.median_time([str(built.executable), "--version"], 1)
    assert 0 < seconds < 60


def test_bundle_carries_resources_and_keyring_metadata(built: Built) -> None:
    resources = built.internal / "companion" / "resources"
    source = ROOT / "resources"
    expected = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    carried = sorted(p.relative_to(resources) for p in resources.rglob("*") if p.is_file())
    assert carried == expected
    # keyring finds its backends through these entry points.
    (entry_points,) = built.internal.glob("keyring-*.dist-info/entry_points.txt")
    text = entry_points.read_text(encoding="utf-8")
    assert "SecretService = keyring.backends.SecretService" in text


def test_bundle_carries_the_overlay_pages(built: Built) -> None:
    static = built.internal / "companion" / "overlay" / "static"
    source = ROOT / "companion" / "overlay" / "static"
    expected = sorted(p.name for p in source.iterdir() if p.is_file())
    assert {"goals.html", "alerts.html", "overlay.js", "overlay.css"} <= set(expected)
    assert sorted(p.name for p in static.iterdir() if p.is_file()) == expected
    for name in expected:
        assert (static / name).read_bytes() == (source / name).read_bytes(), name


def test_bundle_has_the_keyring_backends_and_the_simulator(built: Built) -> None:
    viewer = built.bundle.parent.parent / "venv" / "bin" / "pyi-archive_viewer"
    result = subprocess.run(
        [str(viewer), "--recursive", "--brief", str(built.executable)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    modules = {line.strip() for line in result.stdout.splitlines()}
    for module in (
        "companion.app",
        "companion.sim.server",
        "keyring.backends.SecretService",
        "keyring.backends.Windows",
        "keyring.backends.macOS",
        "secretstorage.collection",
        "jeepney.io.blocking",
    ):
        assert module in modules, module
    assert not {m for m in modules if m.startswith("jeepney.") and ".tests" in m}
    assert "jeepney.io.trio" not in modules
    assert not {m for m in modules if m.startswith(("pytest", "_pytest", "tkinter"))}


def test_bundle_has_only_the_qt_it_needs(built: Built) -> None:
    qt = built.internal / "PySide6" / "Qt"
    libs = {p.name.split(".so")[0] for p in (qt / "lib").iterdir()}
    for needed in ("libQt6Core", "libQt6Gui", "libQt6Widgets", "libQt6Network", "libQt6Svg"):
        assert needed in libs
    for unwanted in ("WebEngine", "Qml", "Quick", "3D", "Pdf", "Multimedia"):
        assert not [lib for lib in libs if unwanted in lib], unwanted
    plugins = qt / "plugins"
    assert (plugins / "platforms" / "libqxcb.so").is_file()
    assert (plugins / "platforms" / "libqoffscreen.so").is_file()
    assert (plugins / "iconengines" / "libqsvgicon.so").is_file()
    assert (plugins / "imageformats" / "libqsvg.so").is_file()
    # The gtk3 theme plugin would drag the build machine's GTK stack in.
    assert not (plugins / "platformthemes" / "libqgtk3.so").exists()
    assert not list(built.internal.glob("libgtk-3*"))
    assert not list(built.internal.glob("libcairo*"))
    assert not (qt / "translations").exists()


def test_bundle_libraries_are_stripped(built: Built) -> None:
    (libpython,) = built.internal.glob("libpython3*.so.1.0")
    sections = subprocess.run(
        ["objdump", "-h", str(libpython)], capture_output=True, text=True, check=True
    ).stdout
    assert ".symtab" not in sections
    assert ".debug_info" not in sections


def test_every_library_the_bundle_lacks_is_a_declared_dependency(
    built: Built, builder: ModuleType
) -> None:
    depends = deb_field(built.deb, "Depends")
    declared = {re.sub(r"\s*\(.*\)", "", item).strip() for item in depends.split(",")}
    external = builder.external_libraries(built.bundle)
    # Qt's xcb plugin links libxcb, which PyInstaller never carries; GL/EGL neither.
    assert {"libxcb.so.1", "libGL.so.1", "libEGL.so.1"} <= set(external)
    for soname, path in external.items():
        package = builder.soname_package(soname)
        if path:  # installed here: dpkg must agree with the naming rule
            assert builder.owning_package(path) == package, soname
        assert package in declared, (
            f"the bundle lacks {soname} and Depends lacks {package} ({depends}). If the"
            " build machine lacks that library, PyInstaller could not bundle it: install"
            " it there (scripts/dev's apt list); otherwise add the package to DEB_DEPENDS"
        )
    assert declared - {builder.soname_package(s) for s in external} == {
        "fontconfig-config",
        "xkb-data",
    }


# --- the Debian package -------------------------------------------------------------------


def deb_field(deb: Path, field: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "--field", str(deb), field],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_deb_control_fields(built: Built) -> None:
    info = subprocess.run(
        ["dpkg-deb", "--info", str(built.deb)], capture_output=True, text=True, check=True
    ).stdout
    # The members Debian's tools accept (zstd ones are not official: lintian errors).
    members_ar = subprocess.run(
        ["ar", "t", str(built.deb)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert members_ar == ["debian-binary", "control.tar.xz", "data.tar.xz"]
    # Only a control file: no maintainer scripts that could leave anything behind.
    members = re.findall(r"^\s+\d+ bytes,\s+\d+ lines\s+\*?\s*(\S+)", info, re.MULTILINE)
    assert members == ["control"]
    assert deb_field(built.deb, "Package") == "streamer-companion"
    assert deb_field(built.deb, "Version") == __version__
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert deb_field(built.deb, "Architecture") == arch
    assert deb_field(built.deb, "Section") == "video"
    assert deb_field(built.deb, "Priority") == "optional"
    assert "<" in deb_field(built.deb, "Maintainer")
    assert deb_field(built.deb, "Description").startswith("desktop companion for Twitch")
    depends = deb_field(built.deb, "Depends")
    assert re.match(r"libc6 \(>= 2\.\d+\), libgl1, libegl1, libxcb1, ", depends), depends
    installed_kib = int(deb_field(built.deb, "Installed-Size"))
    bundle_kib = sum(p.lstat().st_size for p in built.bundle.rglob("*")) // 1024
    assert bundle_kib <= installed_kib <= bundle_kib + 64


def test_deb_contents(built: Built) -> None:
    listing = subprocess.run(
        ["dpkg-deb", "--contents", str(built.deb)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    entries: dict[str, tuple[str, str, str]] = {}
    for line in listing:
        mode, owner, _size, _date, _time, name, *link = line.split(maxsplit=6)
        entries[name.rstrip("/")] = (mode, owner, link[0] if link else "")
    assert {owner for _mode, owner, _link in entries.values()} == {"root/root"}
    top = {name.split("/")[1] for name in entries if name.count("/") >= 1}
    assert top == {"opt", "usr"}
    assert entries[f"./{INSTALL_DIR}/{BUNDLE_NAME}"][0] == "-rwxr-xr-x"
    assert entries["./usr/bin/companion"] == (
        "lrwxrwxrwx",
        "root/root",
        f"-> /{INSTALL_DIR}/{BUNDLE_NAME}",
    )
    assert entries["./usr/share/applications/streamer-companion.desktop"][0] == "-rw-r--r--"
    assert "./usr/share/icons/hicolor/scalable/apps/streamer-companion.svg" in entries
    assert "./usr/share/doc/streamer-companion/copyright" in entries
    assert "./usr/share/doc/streamer-companion/changelog.gz" in entries
    # Every file of the bundle, and nothing writable by others.
    bundle_files = {
        f"./{INSTALL_DIR}/{p.relative_to(built.bundle).as_posix()}"
        for p in built.bundle.rglob("*")
        if p.is_file() or p.is_symlink()
    }
    assert bundle_files <= set(entries)
    assert not [n for n, (mode, _o, _l) in entries.items() if mode[0] != "l" and mode[8] == "w"]
    # Shared libraries 0644 as Debian policy asks; only the bootloader is executable.
    executables = [n for n, (mode, _o, _l) in entries.items() if mode[0] == "-" and "x" in mode]
    assert executables == [f"./{INSTALL_DIR}/{BUNDLE_NAME}"]


def test_deb_installs_runs_and_removes_cleanly_in_a_scratch_root(
    built: Built, tmp_path: Path, scratch_data_dir: Path
) -> None:
    root = tmp_path / "root"
    admin = root / "var" / "lib" / "dpkg"
    for sub in ("info", "updates", "triggers"):
        (admin / sub).mkdir(parents=True)
    (admin / "status").touch()
    dpkg = ["dpkg", f"--root={root}", "--force-not-root", "--force-depends"]
    # An empty dpkg database knows no libc6, hence --force-depends.
    subprocess.run([*dpkg, "--install", str(built.deb)], capture_output=True, check=True)

    status = subprocess.run(
        ["dpkg-query", f"--admindir={admin}", "-W", "-f=${Status} ${Version}", BUNDLE_NAME],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert status == f"install ok installed {__version__}"

    link = root / "usr" / "bin" / "companion"
    assert str(link.readlink()) == f"/{INSTALL_DIR}/{BUNDLE_NAME}"
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str  # type: ignore[assignment,method-assign]
    desktop.read(root / "usr" / "share" / "applications" / "streamer-companion.desktop")
    entry = desktop["Desktop Entry"]
    assert entry["Exec"] == link.name
    assert entry["Type"] == "Application"
    icon = root / "usr/share/icons/hicolor/scalable/apps" / f"{entry['Icon']}.svg"
    assert icon.read_bytes() == (ROOT / "resources" / "icons" / "companion.svg").read_bytes()

    # The installed app runs, also through a link as /usr/bin/companion is one (the
    # bootloader must resolve it to find _internal); the absolute link itself points
    # into the real /, so a twin pointing into the scratch root stands in for it.
    installed = root / INSTALL_DIR / BUNDLE_NAME
    twin = tmp_path / "companion"
    twin.symlink_to(installed)
    version = run_frozen(twin, "--version", data_dir=scratch_data_dir)
    assert version.stdout == f"companion {__version__}\n"
    assert_smoke_test_passes(twin, scratch_data_dir)

    subprocess.run([*dpkg, "--purge", BUNDLE_NAME], capture_output=True, check=True)
    left = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if not p.relative_to(root).as_posix().startswith("var/lib/dpkg")
    )
    assert left == ["var", "var/lib"]
