"""What a user installs: the sdist and wheel, their metadata, the extras, logging and repr.

The distributions are built once per module (``python -m build --no-isolation``: the sdist,
then the wheel from that sdist) into a temporary directory; a fresh virtual environment
installed from the wheel alone (``--no-deps``; its dependencies come from this
environment's site-packages, added after its own) runs the quickstart against the
emulator and lists the pytest plugin's fixtures, with no source tree on its path.
"""

from __future__ import annotations

import email.parser
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

import exwire
from tests.conftest import REPO_ROOT, timeout

pytest.importorskip("build", reason="building the distributions needs the build package (the test extra)")


def _run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None,
         seconds: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout(seconds))


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, REPO_ROOT, cwd=REPO_ROOT,
                  seconds=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


def _sdist(dist: Path) -> Path:
    (path,) = dist.glob("exwire-*.tar.gz")
    return path


def _wheel(dist: Path) -> Path:
    (path,) = dist.glob("exwire-*.whl")
    return path


def _metadata(dist: Path) -> email.message.Message:
    with zipfile.ZipFile(_wheel(dist)) as wheel:
        name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(wheel.read(name).decode())


# -- the sdist ------------------------------------------------------------------------------


def test_the_sdist_carries_tests_samples_docs_benchmarks_changelog_and_license(dist):
    with tarfile.open(_sdist(dist)) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for required in ("LICENSE", "README.md", "CHANGELOG.md", "setup.cfg", "MANIFEST.in",
                     "tests/conftest.py", "tests/test_packaging.py", "samples/quickstart.py",
                     "docs/index.rst", "benchmarks/README.md", "sdk/exwire/py.typed",
                     "sdk/exwire/testing/pytest_plugin.py"):
        assert required in names, required
    tracked = {path for path in _git_files() if path.startswith(("tests/", "samples/", "docs/", "benchmarks/"))}
    missing = sorted(path for path in tracked if path not in names and not path.endswith(".sqlite3"))
    assert not missing, f"tracked files missing from the sdist: {missing[:20]}"
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert not [name for name in names if name.startswith(("docs/_build/", "benchmarks/results/"))]


def _git_files() -> list[str]:
    result = _run("git", "ls-files", cwd=REPO_ROOT)
    if result.returncode != 0:
        pytest.skip("not a git checkout: cannot compare the sdist with the tracked files")
    return [line for line in result.stdout.splitlines() if (REPO_ROOT / line).is_file()]


def test_the_license_file_is_mit_as_the_metadata_says(dist):
    text = (REPO_ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "The exwire authors" in text
    metadata = _metadata(dist)
    assert metadata["License"] == "MIT"
    assert "License :: OSI Approved :: MIT License" in metadata.get_all("Classifier")
    with zipfile.ZipFile(_wheel(dist)) as wheel:
        assert any(name.endswith(".dist-info/LICENSE") or "licenses/LICENSE" in name for name in wheel.namelist())


# -- the metadata -----------------------------------------------------------------------------


def test_the_metadata_is_complete(dist):
    metadata = _metadata(dist)
    assert metadata["Name"] == "exwire" and metadata["Version"] == exwire.__version__
    assert metadata["Author"] == "The exwire authors"
    urls = dict(entry.split(", ", 1) for entry in metadata.get_all("Project-URL"))
    assert {"Homepage", "Source", "Issues"} <= set(urls)
    assert all(url.startswith("https://github.com/exwire/exwire") for url in urls.values())
    classifiers = set(metadata.get_all("Classifier"))
    for version in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    assert "Operating System :: OS Independent" in classifiers
    assert "Typing :: Typed" in classifiers
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    assert metadata["Requires-Python"] == ">=3.11"


def test_the_long_description_links_nothing_outside_the_distribution(dist):
    description = _metadata(dist).get_payload()
    assert isinstance(description, str) and description.startswith("# exwire")
    assert "../shared/DESIGN.md" not in description and "](DESIGN.md" not in description
    for target in re.findall(r"\]\(([^)\s]+)\)", description):
        if re.match(r"[a-z]+://", target) or target.startswith("#"):
            continue
        assert not target.startswith(("../", "/")), target
        assert (REPO_ROOT / target.split("#")[0]).exists(), target


def test_coinsuper_only_dependencies_are_an_extra_and_the_test_extra_pulls_them(dist):
    requires = _metadata(dist).get_all("Requires-Dist")
    base = [r for r in requires if "extra ==" not in r]
    assert not [r for r in base if r.lower().startswith(("paho-mqtt", "pysocks"))], base
    for package in ("websocket-client", "requests", "attrs", "cattrs", "cryptography", "orjson"):
        assert any(r.startswith(package) for r in base), package

    def extra(name: str) -> list[str]:
        return [r.split(";")[0].strip().lower() for r in requires if f'extra == "{name}"' in r]

    assert {"paho-mqtt>=2.0", "pysocks>=1.7.1"} <= set(extra("coinsuper"))
    assert {"paho-mqtt>=2.0", "pysocks>=1.7.1", "websockets>=13.0"} <= set(extra("test"))
    assert all(any(r.startswith(f"{name}>=") for r in extra("test")) for name in ("build", "setuptools", "wheel"))
    assert "websockets>=13.0" in extra("testing")


def test_the_coinsuper_client_without_paho_names_the_extra():
    code = (
        "import sys; sys.modules['paho'] = None; sys.modules['paho.mqtt'] = None\n"
        "import exwire\n"
        "from exwire.testing.coinsuper import CoinsuperEmulator\n"
        "try:\n"
        "    exwire.CoinsuperClient(url='ws://127.0.0.1:1/mqtt')\n"
        "except exwire.ConfigurationError as exc:\n"
        "    print(exc)\n"
    )
    result = _run(sys.executable, "-c", code, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    assert "pip install 'exwire[coinsuper]'" in result.stdout


# -- the wheel in a fresh environment ------------------------------------------------------------


def test_a_fresh_venv_from_the_wheel_runs_the_quickstart_and_lists_the_fixtures(dist, tmp_path):
    venv = tmp_path / "venv"
    result = _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    python = venv / "bin" / "python"
    result = _run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", _wheel(dist),
                  cwd=tmp_path, seconds=120)
    assert result.returncode == 0, result.stderr
    # The dependencies (not exwire: the editable install's .pth files are not read) come
    # from this environment, after the fresh one's own site-packages.
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                     cwd=tmp_path).stdout.strip())
    (site / "zz_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["PYTHONUNBUFFERED"] = "1"

    where = _run(python, "-c", "import exwire; print(exwire.__file__)", cwd=tmp_path, env=env)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(site), where.stdout  # the wheel's copy, not the source

    version = _run(venv / "bin" / "exwire", "--version", cwd=tmp_path, env=env)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"exwire {exwire.__version__}"

    quickstart = tmp_path / "quickstart.py"
    quickstart.write_text((REPO_ROOT / "samples" / "quickstart.py").read_text())
    run = _run(python, quickstart, "--seconds", "1.5", cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert re.fullmatch(r"ping: [0-9.]+ ms", lines[0]), lines[0]
    assert any(line.startswith("ticker ") for line in lines)
    assert re.fullmatch(r"book checksums: [1-9]\d* ok, 0 mismatched", lines[-1]), lines[-1]

    (tmp_path / "test_user.py").write_text("def test_nothing():\n    assert True\n")
    fixtures = _run(python, "-m", "pytest", "--fixtures", "-p", "no:cacheprovider", "test_user.py",
                    cwd=tmp_path, env=env)
    assert fixtures.returncode == 0, fixtures.stdout[-2000:] + fixtures.stderr[-2000:]
    assert "fixtures defined from exwire.testing.pytest_plugin" in fixtures.stdout
    for name in ("kraken", "binance", "coinex", "okex", "coinsuper"):
        assert re.search(rf"^{name}_emulator\b", fixtures.stdout, re.MULTILINE), name
        assert re.search(rf"^{name}_client\b", fixtures.stdout, re.MULTILINE), name


# -- logging and repr ----------------------------------------------------------------------------


def test_an_app_that_never_configured_logging_sees_no_exwire_warning():
    code = ("import logging, exwire\n"
            "logging.getLogger('exwire.kraken.public').warning('public connection lost')\n"
            "logging.getLogger('exwire').error('callback raised')\n")
    result = _run(sys.executable, "-c", code, cwd=REPO_ROOT)
    assert result.returncode == 0
    assert result.stderr == ""


def test_the_exwire_logger_has_a_null_handler_only():
    import logging

    handlers = logging.getLogger("exwire").handlers
    assert any(isinstance(handler, logging.NullHandler) for handler in handlers)
    assert "exwire.<exchange>.<connection>" in (exwire.__doc__ or "")


def test_connection_loggers_are_named_after_the_exchange_and_the_connection():
    from exwire.testing import KrakenEmulator

    with KrakenEmulator() as emulator, exwire.KrakenClient(**emulator.client_kwargs()) as client:
        names = {connection.log.name for connection in client._connections.values()}
        assert client.log.name == "exwire.kraken"
    assert names == {"exwire.kraken.public", "exwire.kraken.private"}


def test_a_client_repr_shows_its_state_connections_and_subscriptions_but_no_secret():
    from exwire.testing import KrakenEmulator

    with KrakenEmulator() as emulator:
        credentials = emulator.credentials
        client = exwire.KrakenClient(**emulator.client_kwargs(), credentials=credentials)
        with client:
            assert repr(client) == "KrakenClient(open, connections: public=idle private=idle, subscriptions: 0)"
            with client.shared.subscribe_to_ticker_updates("BTC/USD") as ticker:
                ticker.get(timeout(10))
                text = repr(client)
                assert text == "KrakenClient(open, connections: public=connected private=idle, subscriptions: 1)"
                with client.shared.subscribe_to_order_updates(timeout=timeout(10)):  # logs on privately
                    text = repr(client)
        assert repr(client) == "KrakenClient(closed, connections: public=closed private=closed, subscriptions: 0)"
    assert text == "KrakenClient(open, connections: public=connected private=connected, subscriptions: 2)"
    for secret in (credentials.key, credentials.secret, emulator.url, "127.0.0.1"):
        assert secret not in text
