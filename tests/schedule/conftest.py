from __future__ import annotations

import pytest


@pytest.fixture
def inventory(tmp_path):
    path = tmp_path / "fs cluster.yaml"
    path.write_text(
        "clusters:\n"
        "  - name: FSCLUSTER1\n"
        "    credentials:\n"
        "      username: CORP\\svc-rollready\n"
        "      password_env: ROLLREADY_PASSWORD\n"
        "    nodes:\n"
        "      - name: NODE1\n"
        "      - name: NODE2\n", encoding="utf-8")
    return path
