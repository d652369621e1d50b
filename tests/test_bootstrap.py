"""scripts/bootstrap.sh's system-package step, run against stubs so nothing on this machine changes.

PATH holds only a stub folder: `dpkg-query`, `apt-get`, `sudo` and `id` are small scripts recording
their arguments (the `sudo` stub clears the environment as sudo's env_reset does), beside links to the
real `dirname`, `grep` and `env`. PYTHON and VENV (variables the script reads) point at a stub
interpreter and at a venv already stamped as installed, so the venv step is skipped exactly as on a
second run of `make bootstrap`. Every run is a copy of the real script, read from the repository."""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from scanner import paths

BOOTSTRAP = paths.ROOT / "scripts" / "bootstrap.sh"


def _packages() -> list[str]:
    """APT_PACKAGES as the script lists them."""
    listed = re.search(r"^APT_PACKAGES=\(([^)]*)\)", BOOTSTRAP.read_text(encoding="utf-8"), re.M)
    assert listed, "APT_PACKAGES=(...) not found in scripts/bootstrap.sh"
    return listed.group(1).split()


STUBS = {
    # The last argument is the package; reports it installed unless it is listed in ../missing.
    "dpkg-query": """
echo "dpkg-query $*" >> "$HERE/../calls.log"
pkg=${!#}
while read -r m; do
  if [ "$m" = "$pkg" ]; then echo "dpkg-query: no packages found matching $pkg" >&2; exit 1; fi
done < "$HERE/../missing"
printf 'install ok installed'
""",
    # Fails (exit 100, as apt-get does) when its subcommand is written in ../apt-fail.
    "apt-get": """
echo "apt-get $* [DEBIAN_FRONTEND=${DEBIAN_FRONTEND-}]" >> "$HERE/../calls.log"
if [ -f "$HERE/../apt-fail" ] && [ "$(< "$HERE/../apt-fail")" = "$1" ]; then
  echo "E: stub apt-get $1 failed" >&2; exit 100
fi
""",
    "sudo": """
echo "sudo $*" >> "$HERE/../calls.log"
exec env -i PATH="$PATH" "$@"
""",
    "id": """
[ "$1" = "-u" ] && cat "$HERE/../uid"
""",
    # PYTHON: answers the `import venv, ensurepip` probe (fails when ../no-venv exists), records the rest.
    "python": """
echo "python $*" >> "$HERE/../calls.log"
if [ "$1" = "-c" ] && [ -f "$HERE/../no-venv" ]; then exit 1; fi
""",
}


@dataclass
class Run:
    code: int
    stderr: str
    calls: list[str]

    def called(self, program: str) -> list[str]:
        return [c for c in self.calls if c.split()[0] == program]


@pytest.fixture
def bootstrap(tmp_path: Path):
    """bootstrap(missing=[], uid=1000, apt_fail=None, sudo=True, venv=None, no_venv_module=False) -> Run."""
    stubs = tmp_path / "bin"
    stubs.mkdir()

    def stub(name: str, where: Path) -> None:
        script = where / name
        script.write_text('#!/bin/bash\nHERE="${0%/*}"\n' + STUBS[name], encoding="utf-8")
        script.chmod(0o755)

    for name in STUBS:
        stub(name, stubs)
    for tool in ("dirname", "grep", "env", "cat"):
        real = shutil.which(tool)
        assert real, tool
        (stubs / tool).symlink_to(real)
    installed = tmp_path / "venv"  # a venv a previous run finished: the script leaves it as it is
    (installed / "bin").mkdir(parents=True)
    (installed / "bin" / "python").symlink_to(stubs / "python")
    (installed / ".rollready-installed").touch()

    def run(missing: list[str] = [], uid: int = 1000, apt_fail: str | None = None, sudo: bool = True,  # noqa: B006
            venv: Path | None = None, no_venv_module: bool = False) -> Run:
        (tmp_path / "calls.log").write_text("")
        (tmp_path / "missing").write_text("".join(f"{m}\n" for m in missing))
        (tmp_path / "uid").write_text(f"{uid}\n")
        (tmp_path / "apt-fail").unlink(missing_ok=True)
        if apt_fail:
            (tmp_path / "apt-fail").write_text(apt_fail)
        (tmp_path / "no-venv").unlink(missing_ok=True)
        if no_venv_module:
            (tmp_path / "no-venv").touch()
        if sudo:
            stub("sudo", stubs)
        else:
            (stubs / "sudo").unlink(missing_ok=True)
        env = {"PATH": str(stubs), "PYTHON": str(stubs / "python"), "VENV": str(venv or installed),
               "HOME": str(tmp_path)}
        done = subprocess.run(["/bin/bash", str(BOOTSTRAP)], env=env, capture_output=True, text=True, timeout=60)
        calls = (tmp_path / "calls.log").read_text().splitlines()
        return Run(done.returncode, done.stderr, calls)

    return run


def test_nothing_is_installed_when_every_package_is_there(bootstrap) -> None:
    run = bootstrap()
    assert run.code == 0, run.stderr
    assert run.stderr == ""
    assert len(run.called("dpkg-query")) == len(_packages())  # each listed package was asked about
    assert run.called("apt-get") == [] and run.called("sudo") == []
    assert run.called("python") == ["python -c import venv, ensurepip"]  # no venv made, no pip run


def test_the_missing_packages_are_installed_in_one_call_through_sudo(bootstrap) -> None:
    run = bootstrap(missing=["postgresql", "fonts-noto-cjk"], no_venv_module=True)
    assert run.code == 0, run.stderr
    assert "installing system packages: fonts-noto-cjk postgresql python3-venv" in run.stderr
    installs = [c for c in run.called("apt-get") if c.startswith("apt-get install")]
    assert installs == ["apt-get install -y -qq --no-install-recommends fonts-noto-cjk postgresql python3-venv "
                        "[DEBIAN_FRONTEND=noninteractive]"]  # the setting reaches apt-get through sudo
    assert run.called("apt-get")[0].startswith("apt-get update")  # the lists first
    assert len(run.called("sudo")) == 2 and all("apt-get" in c for c in run.called("sudo"))


def test_root_installs_without_sudo(bootstrap) -> None:
    run = bootstrap(missing=["poppler-utils"], uid=0, sudo=False)
    assert run.code == 0, run.stderr
    assert run.called("sudo") == []
    assert [c.split()[1] for c in run.called("apt-get")] == ["update", "install"]
    assert run.called("apt-get")[1] == ("apt-get install -y -qq --no-install-recommends poppler-utils "
                                        "[DEBIAN_FRONTEND=noninteractive]")


@pytest.mark.parametrize("step", ["update", "install"])
def test_a_failing_apt_get_stops_with_one_line_and_no_venv(bootstrap, tmp_path: Path, step: str) -> None:
    fresh = tmp_path / "fresh-venv"
    run = bootstrap(missing=["postgresql"], apt_fail=step, venv=fresh)
    assert run.code != 0
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("bootstrap: error: ") and f"apt-get {step}" in last and "postgresql" in last, run.stderr
    assert "Traceback" not in run.stderr and " line " not in run.stderr  # not bash's own "line N: ..." error
    assert not fresh.exists() and not [c for c in run.called("python") if "venv" in c.split()[1:3]]
    if step == "update":
        assert not [c for c in run.called("apt-get") if c.startswith("apt-get install")]


def test_not_root_and_no_sudo_is_one_line(bootstrap, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh-venv"
    run = bootstrap(missing=["postgresql"], sudo=False, venv=fresh)
    assert run.code != 0
    assert run.stderr.strip().splitlines()[-1].startswith("bootstrap: error: "), run.stderr
    assert "postgresql" in run.stderr and "sudo" in run.stderr
    assert run.called("apt-get") == [] and not fresh.exists()

