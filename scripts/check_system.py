"""What airace needs from the system, checked before the install creates .venv.

Run with the Python that will host the venv: `python3 scripts/check_system.py`. Prints one line
per problem (what is missing and the command that installs it) and exits 1; exits 0 when all is
there. Written for old Pythons too (3.6 on), so that an old one is told so instead of failing to parse.
"""

import ctypes.util
import glob
import platform
import sys

MIN_PYTHON = (3, 11)
# Library (as ctypes names it) -> what to call it in the message. WeasyPrint loads these.
LIBRARIES = {
    "pango-1.0": "Pango",
    "pangoft2-1.0": "Pango",
    "harfbuzz": "HarfBuzz",
    "fontconfig": "fontconfig",
}
DEBIAN_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libfontconfig1"
MACOS_PACKAGES = "pango"  # Homebrew; brings harfbuzz and fontconfig


def python_problem(version=None):
    """A line when this Python is too old or cannot create venvs, else None."""
    version = tuple(version or sys.version_info[:3])
    if version[:2] < MIN_PYTHON:
        return (
            "airace needs Python >= {}.{}, this is {} ({}): set PYTHON=python3.11 or newer".format(
                MIN_PYTHON[0], MIN_PYTHON[1], ".".join(str(v) for v in version), sys.executable
            )
        )
    try:
        import ensurepip  # noqa: F401
        import venv  # noqa: F401
    except ImportError:
        return (
            f"{sys.executable} cannot create virtual environments: on Debian/Ubuntu "
            "apt-get install python3-venv"
        )
    return None


def missing_libraries(find=ctypes.util.find_library, system=None, globber=glob.glob):
    """Names (Pango, HarfBuzz, fontconfig) of the libraries WeasyPrint needs that are missing."""
    system = system or platform.system()
    missing = []
    for lib, label in LIBRARIES.items():
        if system == "Darwin" and lib == "pangoft2-1.0":
            continue
        found = find(lib)
        if not found and system == "Darwin":  # Homebrew's prefixes are not searched by default
            found = globber(f"/opt/homebrew/lib/lib{lib}*.dylib") or globber(
                f"/usr/local/lib/lib{lib}*.dylib"
            )
        if not found and label not in missing:
            missing.append(label)
    return missing


def library_problem(missing):
    """The one line that names the missing libraries and how to install them."""
    if not missing:
        return None
    return (
        "missing system libraries for the PDF briefing (WeasyPrint): {}. "
        "Debian/Ubuntu: apt-get install {}; macOS: brew install {}".format(
            ", ".join(missing), DEBIAN_PACKAGES, MACOS_PACKAGES
        )
    )


def main():
    problems = [p for p in (python_problem(), library_problem(missing_libraries())) if p]
    for p in problems:
        sys.stderr.write("install: " + p + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
