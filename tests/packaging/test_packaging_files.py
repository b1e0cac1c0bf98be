"""The packaging files that cannot be built here (Windows, macOS) agree with the project.

Versions, bundle and executable names, icon file names and the desktop entry are
read from each file and compared with ``companion.__version__``, the spec, the
builder and ``pyproject.toml``, so a rename or a version bump that misses one fails.
"""

from __future__ import annotations

import configparser
import plistlib
import re
import struct
import tomllib
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING

import pytest

from companion import __version__

if TYPE_CHECKING:
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "companion.spec"
ISS = PACKAGING / "windows" / "companion.iss"
PLIST = PACKAGING / "macos" / "Info.plist"
DESKTOP = PACKAGING / "linux" / "streamer-companion.desktop"


def spec_constant(name: str) -> str:
    match = re.search(rf'^{name} = "([^"]+)"$', SPEC.read_text(encoding="utf-8"), re.MULTILINE)
    assert match is not None, name
    return match.group(1)


def iss_defines() -> dict[str, str]:
    text = ISS.read_text(encoding="utf-8")
    return dict(re.findall(r'^\s*#define (\w+) "([^"]*)"', text, re.MULTILINE))


def iss_setup() -> dict[str, str]:
    text = ISS.read_text(encoding="utf-8")
    section = text.split("[Setup]", 1)[1].split("\n[", 1)[0]
    pairs = re.findall(r"^(\w+)=(.*)$", section, re.MULTILINE)
    return {key: value.strip() for key, value in pairs}


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_bundle_name_is_the_same_everywhere(builder: ModuleType) -> None:
    assert spec_constant("NAME") == builder.BUNDLE_NAME == "streamer-companion"
    defines = iss_defines()
    assert defines["AppExeName"] == f"{builder.BUNDLE_NAME}.exe"
    bundle_dir = ISS.parent / PureWindowsPath(defines["BundleDir"]).as_posix()
    assert bundle_dir.resolve() == builder.bundle_dir().resolve()
    assert plistlib.loads(PLIST.read_bytes())["CFBundleExecutable"] == builder.BUNDLE_NAME


def test_versions_match_the_package() -> None:
    # Both Windows' VersionInfoVersion and macOS' CFBundleShortVersionString take
    # only dot-separated integers: a version like 1.0rc1 would break those builds.
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    assert iss_defines()["AppVersion"] == __version__
    assert iss_setup()["AppVersion"] == "{#AppVersion}"
    plist = plistlib.loads(PLIST.read_bytes())
    assert plist["CFBundleShortVersionString"] == __version__
    assert plist["CFBundleVersion"] == __version__


def test_spec_and_builder_read_the_same_version(builder: ModuleType) -> None:
    assert builder.project_version() == __version__
    spec = SPEC.read_text(encoding="utf-8")
    # The spec reads __version__ with the same pattern the builder uses.
    assert 'r\'^__version__\\s*=\\s*"([^"]+)"\'' in spec


def test_windows_installer_is_per_user_with_menu_entry_and_uninstaller(
    builder: ModuleType,
) -> None:
    setup = iss_setup()
    assert setup["PrivilegesRequired"] == "lowest"
    assert setup["DefaultDirName"] == "{autopf}\\{#AppName}"
    assert setup["UninstallDisplayIcon"] == "{app}\\{#AppExeName}"
    assert re.fullmatch(r"\{\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", setup["AppId"])
    assert "Uninstallable" not in setup  # the default (yes) stands
    icon = ISS.parent / PureWindowsPath(iss_defines()["IconFile"]).as_posix()
    assert icon.resolve() == (builder.ICONS / "companion.ico").resolve()
    text = ISS.read_text(encoding="utf-8")
    icons = text.split("[Icons]", 1)[1].split("\n[", 1)[0]
    assert 'Name: "{autoprograms}\\{#AppName}"; Filename: "{app}\\{#AppExeName}"' in icons


def test_macos_plist_settings() -> None:
    plist = plistlib.loads(PLIST.read_bytes())
    assert plist["CFBundleIdentifier"] == "io.github.streamercompanion.companion"
    assert plist["NSHighResolutionCapable"] is True
    assert plist["CFBundlePackageType"] == "APPL"
    # PyInstaller copies the spec's icon into Contents/Resources under its own name.
    assert plist["CFBundleIconFile"] == "companion.icns"
    assert 'str(ICON_DIR / "companion.icns")' in SPEC.read_text(encoding="utf-8")


def test_desktop_entry_matches_the_command_and_the_icon(builder: ModuleType) -> None:
    entry = desktop_entry()
    gui_scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "gui-scripts"
    ]
    assert entry["Exec"] == entry["TryExec"] == builder.COMMAND_NAME
    assert gui_scripts[builder.COMMAND_NAME] == "companion.cli:main"
    # The .deb installs the SVG as hicolor/scalable/apps/<Icon>.svg.
    assert entry["Icon"] == builder.PACKAGE_NAME
    assert entry["Type"] == "Application"
    assert entry["Terminal"] == "false"
    assert entry["StartupWMClass"] == builder.BUNDLE_NAME
    categories = entry["Categories"].split(";")
    assert categories[-1] == ""  # the list ends with ';'
    assert categories[0] in {"AudioVideo", "Network"}  # a registered main category


@pytest.mark.parametrize(
    ("soname", "package"),
    [
        ("libc.so.6", "libc6"),
        ("ld-linux-x86-64.so.2", "libc6"),
        ("libGL.so.1", "libgl1"),
        ("libxcb.so.1", "libxcb1"),
        ("libwayland-egl.so.1", "libwayland-egl1"),
        ("libicuuc.so.73", "libicuuc73"),
        ("libX11-xcb.so.1", "libx11-xcb1"),
        ("libgdk_pixbuf-2.0.so.0", "libgdk-pixbuf-2.0-0"),
    ],
)
def test_soname_to_package_rule(builder: ModuleType, soname: str, package: str) -> None:
    assert builder.soname_package(soname) == package


def test_icons_render_as_ico_and_icns(icons: ModuleType, qapp: object, tmp_path: Path) -> None:
    # qapp first: write_icons would otherwise create a QGuiApplication, and every
    # later widget test in this process would find that instead of a QApplication.
    written = icons.write_icons(tmp_path)
    assert sorted(p.name for p in written) == [
        "companion-256.png",
        "companion.icns",
        "companion.ico",
    ]
    png_magic = b"\x89PNG\r\n\x1a\n"

    ico = (tmp_path / "companion.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", ico)
    assert (reserved, kind, count) == (0, 1, 7)
    sides = []
    for index in range(count):
        width, height, _c, _r, planes, bits, size, offset = struct.unpack_from(
            "<BBBBHHII", ico, 6 + 16 * index
        )
        assert (width, planes, bits) == (height, 1, 32)
        assert ico[offset : offset + 8] == png_magic
        assert offset + size <= len(ico)
        sides.append(width or 256)
    assert sides == [16, 24, 32, 48, 64, 128, 256]

    icns = (tmp_path / "companion.icns").read_bytes()
    assert icns[:4] == b"icns"
    assert struct.unpack_from(">I", icns, 4)[0] == len(icns)
    kinds, offset = [], 8
    while offset < len(icns):
        kinds.append(icns[offset : offset + 4])
        length = struct.unpack_from(">I", icns, offset + 4)[0]
        assert icns[offset + 8 : offset + 16] == png_magic
        offset += length
    assert offset == len(icns)
    assert kinds == [b"icp4", b"icp5", b"icp6", b"ic07", b"ic08", b"ic09", b"ic10"]
