#!/usr/bin/env python3
"""Render the mirror-style pre-commit repository for one vpclint version.

    dist/pre-commit-mirror/render.py VERSION OUTDIR

OUTDIR gets a `.pre-commit-hooks.yaml` whose hooks are `language: python` and a
`pyproject.toml` that depends on `vpclint==VERSION`: pre-commit installs the published wheel
(seconds) instead of compiling vpclint (minutes), as ruff-pre-commit does for ruff. Commit
OUTDIR to the mirror repository and tag it `vVERSION`.
"""
import pathlib
import sys

HOOKS = """\
- id: vpclint
  name: vpclint
  description: Lint Huawei Cloud VPC channel request bodies (JSON, and .http/.rest request files) offline.
  entry: vpclint check --requests-only --output-format concise
  language: python
  files: \\.(json|http|rest)$
  require_serial: true
- id: vpclint-fix
  name: vpclint (fix)
  description: Apply vpclint's certain fixes to VPC channel request files, then report what remains.
  entry: vpclint check --requests-only --fix --output-format concise
  language: python
  files: \\.(json|http|rest)$
  require_serial: true
"""

PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "vpclint-pre-commit"
version = "{version}"
description = "pre-commit hooks for vpclint {version}"
dependencies = ["vpclint=={version}"]

[tool.setuptools]
py-modules = []
"""


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    version, out = sys.argv[1], pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    (out / ".pre-commit-hooks.yaml").write_text(HOOKS)
    (out / "pyproject.toml").write_text(PYPROJECT.format(version=version))
    return 0


if __name__ == "__main__":
    sys.exit(main())
