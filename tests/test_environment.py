"""The install files name every package the code imports (CI cannot reach conda channels, so we parse instead)."""
import ast, configparser, re, shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# import name -> distribution names that provide it (first one is the canonical pip name)
PROVIDERS = {
    "torch": ["torch", "pytorch"], "cv2": ["opencv-python-headless"], "PIL": ["pillow"], "sklearn": ["scikit-learn"],
    "yaml": ["pyyaml"], "mamba_ssm": ["mamba-ssm"], "causal_conv1d": ["causal-conv1d"],
}
STDLIB_EXTRA = {"__future__"}


def third_party_imports():
    "Top-level names imported anywhere in the exported package, minus the stdlib and the package itself."
    import sys
    names = set()
    for f in (ROOT / "medsegmamba").rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Import): names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module: names.add(node.module.split(".")[0])
    # optional_import("name") / require("name", ...) calls name packages too
    for f in (ROOT / "medsegmamba").rglob("*.py"):
        names |= set(re.findall(r'(?:optional_import|require)\(\s*["\']([A-Za-z_][\w]*)', f.read_text()))
    return sorted(n for n in names if n not in sys.stdlib_module_names and n not in STDLIB_EXTRA and n != "medsegmamba")


def _norm(s): return re.split(r"[<>=!\[ ;]", s.strip(), maxsplit=1)[0].lower().replace("_", "-")


def env_packages():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pk = set()
    for d in env["dependencies"]:
        if isinstance(d, str): pk.add(_norm(d.split("=")[0]))
        elif isinstance(d, dict): pk |= {_norm(p) for p in d.get("pip", []) if not p.startswith("-")}
    return env, pk


def ini_packages():
    cfg = configparser.ConfigParser(delimiters=["="]); cfg.read(ROOT / "settings.ini")
    d = cfg["DEFAULT"]
    return {k: {_norm(p) for p in shlex.split(d.get(k, ""))}
            for k in ("requirements", "dev_requirements", "gpu_requirements", "download_requirements")}


def _provided(name, pkgs):
    cands = PROVIDERS.get(name, [name.lower().replace("_", "-")])
    return any(c in pkgs for c in cands)


def test_environment_yml_parses_and_installs_the_package():
    env, pk = env_packages()
    assert env["name"] == "medsegmamba"
    assert "python" in pk and "pytorch" in pk
    pip = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert "-e .[dev,gpu]" in pip


def test_environment_yml_names_every_imported_package():
    _, pk = env_packages()
    missing = [n for n in third_party_imports() if not _provided(n, pk)]
    assert not missing, f"environment.yml does not name these imported packages: {missing}"


def test_settings_ini_names_every_imported_package():
    reqs = set().union(*ini_packages().values())
    missing = [n for n in third_party_imports() if not _provided(n, reqs)]
    assert not missing, f"settings.ini requirements do not name these imported packages: {missing}"


def test_imports_found():
    # guards the two tests above against passing vacuously
    assert {"torch", "numpy"} <= set(third_party_imports())


def test_package_imports_without_cuda_kernels():
    import importlib, sys
    import medsegmamba
    assert "mamba_ssm" not in sys.modules or sys.modules["mamba_ssm"] is not None
    for m in ("core",):
        importlib.import_module(f"medsegmamba.{m}")


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"<!-- (demo|test)-command -->\s*```bash\n(.*?)\n```\s*<!-- /\1-command -->", readme, re.S)
    assert [b[0] for b in blocks] == ["demo", "test"], "README needs one demo and one test command block"
    for _, cmd in blocks: assert len(cmd.strip().splitlines()) == 1, f"each set-up-and-go command is one line: {cmd!r}"
    demo = blocks[0][1]
    assert "papermill nbs/train.ipynb" in demo
    # papermill refuses to write into a missing folder: the command must create the output notebook's folder first
    out_nb = re.search(r"papermill nbs/train.ipynb (\S+)", demo).group(1)
    if "/" in out_nb: assert f"mkdir -p {out_nb.rsplit('/', 1)[0]}" in demo.split("papermill")[0]
    assert "README.md" in (ROOT / ".ci" / "run").read_text()


def test_index_notebook_carries_the_readme():
    "nbs/index.ipynb is the front page (readme_nb); without quarto the README is written by hand, so they must agree."
    import json
    readme = (ROOT / "README.md").read_text()
    nb = json.loads((ROOT / "nbs" / "index.ipynb").read_text())
    md = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    for line in readme.splitlines():
        if line.strip() and not line.startswith("<!--"): assert line in md, f"README line missing from nbs/index.ipynb: {line!r}"
