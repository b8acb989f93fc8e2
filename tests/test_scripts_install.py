"""scripts/install.sh's pieces: the system check, the torch step's CPU index and its fallback,
and scripts/test.sh not reinstalling when nothing changed. Run for real; torch is not reinstalled
(pip's --dry-run sees it is already there)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = REPO / "scripts"


def _check_system() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_system", SCRIPTS / "check_system.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_system_check_passes_here_and_names_what_is_missing() -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPTS / "check_system.py")], capture_output=True, text=True
    )
    assert run.returncode == 0 and run.stderr == ""
    check = _check_system()
    missing = check.missing_libraries(find=lambda lib: None if lib == "harfbuzz" else "x.so")
    assert missing == ["HarfBuzz"]
    line = check.library_problem(missing)
    assert "HarfBuzz" in line and "apt-get install libpango-1.0-0" in line
    assert "brew install pango" in line and "\n" not in line
    assert check.missing_libraries(find=lambda lib: "x.so") == []
    on_mac = check.missing_libraries(
        find=lambda lib: None, system="Darwin", globber=lambda p: [p] if "homebrew" in p else []
    )
    assert on_mac == []  # found under Homebrew's prefix
    assert "Python >= 3.11, this is 3.10.4" in check.python_problem((3, 10, 4))
    assert check.python_problem((3, 11, 0)) is None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Index(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        body = b"<html><body><a href='torch-2.13.0.whl'>torch</a></body></html>"
        self.send_response(200 if self.path.rstrip("/").endswith("/torch") else 404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def index() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Index)
    server.paths = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _torch_step(index_url: str, spec: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AIRACE_TORCH_INDEX": index_url,
        "AIRACE_PIP_ARGS": "--dry-run",  # resolve only: the venv is shared and keeps its torch
    }
    if spec:
        env["AIRACE_TORCH_SPEC"] = spec
    return subprocess.run(
        ["bash", str(SCRIPTS / "install-torch.sh"), sys.executable],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_torch_step_falls_back_to_the_default_index_when_the_cpu_index_is_unreachable() -> None:
    unreachable = f"http://127.0.0.1:{_closed_port()}/whl/cpu"
    run = _torch_step(unreachable)
    assert run.returncode == 0, run.stderr
    assert f"torch index {unreachable} unreachable" in run.stderr
    assert "installing torch==2.13.0 from the default index" in run.stderr


def test_torch_step_asks_the_cpu_index_first_when_it_answers(index: ThreadingHTTPServer) -> None:
    url = f"http://127.0.0.1:{index.server_address[1]}/whl/cpu"
    # This stand-in index has no torch dependencies to offer, so the requirement is one pip
    # finds satisfied without asking any index; the script's choice of index is what is tested.
    run = _torch_step(url, spec="pip")
    assert run.returncode == 0, run.stderr
    assert f"installing pip from {url}" in run.stderr
    assert "default index" not in run.stderr, run.stderr
    assert index.paths[0] == "/whl/cpu/torch/"  # type: ignore[attr-defined]


def test_default_cpu_index_is_pytorchs() -> None:
    text = (SCRIPTS / "install-torch.sh").read_text()
    assert "INDEX=${AIRACE_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}" in text
    assert "bash scripts/install-torch.sh .venv/bin/python" in (SCRIPTS / "install.sh").read_text()


def test_test_script_skips_the_install_when_nothing_changed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    for name in ("test.sh", "install-torch.sh", "install.sh"):
        shutil.copy(SCRIPTS / name, repo / "scripts" / name)
    shutil.copy(REPO / "pyproject.toml", repo / "pyproject.toml")
    installs = tmp_path / "installs.log"
    # Stand-ins for the slow parts: an install that logs itself and writes the stamp the real
    # one writes, and a venv python that stands for pytest.
    real_install = (repo / "scripts" / "install.sh").read_text()
    assert "bash scripts/test.sh --print-dev-stamp > .venv/.airace-dev-stamp" in real_install
    (repo / "scripts" / "install.sh").write_text(
        f'echo "$@" >> {installs}\nmkdir -p .venv/bin\n'
        "bash scripts/test.sh --print-dev-stamp > .venv/.airace-dev-stamp\n"
    )
    (repo / ".venv" / "bin").mkdir(parents=True)
    fake_python = repo / ".venv" / "bin" / "python"
    fake_python.write_text("#!/bin/sh\necho pytest ran\n")
    fake_python.chmod(0o755)

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(repo / "scripts" / "test.sh"), "-q"], capture_output=True, text=True
        )

    first = run()
    assert first.returncode == 0 and "pytest ran" in first.stdout
    assert installs.read_text().splitlines() == ["--dev"]
    second = run()
    assert second.returncode == 0 and "not reinstalling" in second.stderr
    assert installs.read_text().splitlines() == ["--dev"]  # no second install
    with (repo / "pyproject.toml").open("a") as f:
        f.write("\n# a changed dependency\n")
    third = run()
    assert third.returncode == 0 and installs.read_text().splitlines() == ["--dev", "--dev"]
