"""A non-editable install carries the data folders inside the package (scanner/data/...): every
folder under them must be listed in pyproject.toml, or `pip install .` ships without it."""
from __future__ import annotations

from pathlib import Path

import pytest

from scanner import paths

tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the check needs only one interpreter to run it

ROOT = Path(__file__).resolve().parents[1]


def test_every_data_folder_is_packaged() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapped = {pkg: ROOT / folder for pkg, folder in config["package-dir"].items() if pkg.startswith("scanner.data.")}
    expected = set()
    for pkg, folder in mapped.items():
        for sub in [folder, *(p for p in folder.rglob("*") if p.is_dir() and "__pycache__" not in p.parts)]:
            expected.add(".".join([pkg, *sub.relative_to(folder).parts]))
    assert expected <= set(config["packages"]), sorted(expected - set(config["packages"]))
    # and in a checkout the data is found next to the package
    assert paths.RULES_DIR == ROOT / "rules"


def test_package_data_covers_the_shipped_file_types() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    for pkg, folder in config["package-dir"].items():
        if not pkg.startswith("scanner.data."):
            continue
        for sub in [ROOT / folder, *(p for p in (ROOT / folder).rglob("*") if p.is_dir())]:
            name = ".".join([pkg, *sub.relative_to(ROOT / folder).parts])
            patterns = config["package-data"].get(name, [])
            for file in (f for f in sub.iterdir() if f.is_file()):
                assert any(file.match(p) for p in patterns), f"{file} is not in package-data[{name!r}]"
