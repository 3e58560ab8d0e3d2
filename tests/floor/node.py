"""The live page's scripts run under Node.js with a small DOM of the test's own."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

NODE = shutil.which("node") or shutil.which("nodejs")
FLOOR_JS = Path(__file__).resolve().parents[2] / "src/plenary/static/plenary/js/floor.js"
needs_node = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")


def run_harness(tmp_path, harness: str, script: Path = FLOOR_JS) -> dict:
    """Run `harness` (given the script's path as its argument); the JSON it prints."""
    path = tmp_path / "harness.js"
    path.write_text(harness)
    done = subprocess.run(
        [NODE, str(path), str(script)], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
