"""deploy/ stays honest: every setting documented, every YAML file valid, the
kustomization complete, and no real secret anywhere under deploy/."""

from __future__ import annotations

import math
import random
import re
import string
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
SETTINGS_SOURCE = ROOT / "core" / "settings.py"
REFERENCE = DEPLOY / "CONFIGURATION.md"

VARIABLE = re.compile(r"\bTHROUGHCARE_[A-Z0-9_]*[A-Z0-9]\b")
DOCUMENTED_ROW = re.compile(r"^\|\s*`(THROUGHCARE_[A-Z0-9_]+)`\s*\|", re.M)
# Read by the test suite, not the app; documented in their own table.
TEST_VARIABLES = {"THROUGHCARE_TEST_DATABASE_URL", "THROUGHCARE_TEST_REDIS_URL"}
# Secrets belong in the Secret, never in the ConfigMap.
SECRET_SETTINGS = {
    "THROUGHCARE_SECRET_KEY",
    "THROUGHCARE_DATABASE_URL",
    "THROUGHCARE_REDIS_URL",
}
# Files the operator fills in locally; deploy/.gitignore keeps them out of git.
OPERATOR_FILES = re.compile(r"^(\.env|.+\.env)$")

YAML_FILES = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])


def settings_variables() -> set[str]:
    names = set(VARIABLE.findall(SETTINGS_SOURCE.read_text()))
    # Guard the regex itself: core/settings.py reads well over a dozen variables.
    assert len(names) >= 15, f"only found {sorted(names)} in core/settings.py"
    return names


def documented_variables(markdown: str) -> set[str]:
    return set(DOCUMENTED_ROW.findall(markdown))


def undocumented(names: set[str], markdown: str) -> list[str]:
    return sorted(names - documented_variables(markdown))


def deploy_files() -> list[Path]:
    """Every text file under deploy/ that may be committed."""
    files = [p for p in DEPLOY.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return sorted(p for p in files if not OPERATOR_FILES.match(p.name))


def load_yaml(path: Path) -> list[Any]:
    yaml = pytest.importorskip("yaml", reason="PyYAML (a litestar[standard] dependency)")
    with path.open() as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


# --- (a) the configuration reference -------------------------------------------------


def test_every_setting_is_documented():
    missing = undocumented(settings_variables(), REFERENCE.read_text())
    assert not missing, f"add these to a table in deploy/CONFIGURATION.md: {missing}"


def test_the_reference_documents_nothing_that_is_not_read():
    stale = documented_variables(REFERENCE.read_text()) - settings_variables() - TEST_VARIABLES
    assert not stale, f"deploy/CONFIGURATION.md documents variables nobody reads: {stale}"


def test_the_test_variables_are_the_ones_the_suite_reads():
    sources = "\n".join(
        p.read_text() for p in (ROOT / "tests").rglob("*.py") if p.name != "test_deploy.py"
    )
    assert documented_variables(REFERENCE.read_text()) >= TEST_VARIABLES
    for name in TEST_VARIABLES:
        assert name in sources, f"{name} is documented but no test reads it"


def test_an_undocumented_variable_is_caught():
    markdown = "| `THROUGHCARE_PORT` | `8000` | ... |\nTHROUGHCARE_HOST is mentioned in prose.\n"
    assert undocumented({"THROUGHCARE_PORT", "THROUGHCARE_HOST"}, markdown) == ["THROUGHCARE_HOST"]


def test_deploy_files_name_only_real_variables():
    known = settings_variables() | TEST_VARIABLES
    for path in deploy_files():
        unknown = set(VARIABLE.findall(path.read_text())) - known
        assert not unknown, f"{path.relative_to(ROOT)} names unknown variables {unknown}"


# --- (b) YAML parses, and says what it should ----------------------------------------


def test_the_expected_yaml_files_exist():
    names = {p.relative_to(DEPLOY).as_posix() for p in YAML_FILES}
    assert {
        "compose.yaml",
        "k8s/kustomization.yaml",
        "k8s/configmap.yaml",
        "k8s/secret.example.yaml",
        "k8s/migrate-job.yaml",
        "k8s/web-deployment.yaml",
        "k8s/web-service.yaml",
        "k8s/worker-deployment.yaml",
    } <= names


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_yaml_parses(path: Path):
    docs = load_yaml(path)
    assert docs, f"{path} is empty"
    assert all(isinstance(doc, dict) for doc in docs)
    if path.parent == K8S and path.name != "kustomization.yaml":
        for doc in docs:
            assert {"apiVersion", "kind", "metadata"} <= doc.keys(), path
            assert doc["metadata"].get("name"), path
            assert "namespace" not in doc["metadata"], f"{path} must be namespace-agnostic"


def test_compose_wires_the_services():
    (compose,) = load_yaml(DEPLOY / "compose.yaml")
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker"}
    for name in ("migrate", "web", "worker"):
        env = services[name]["environment"]
        assert env["THROUGHCARE_ENV"] == "production"
        assert env["THROUGHCARE_SECRET_KEY"].startswith("${THROUGHCARE_SECRET_KEY:?")
        assert env["THROUGHCARE_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "${POSTGRES_PASSWORD:?" in env["THROUGHCARE_DATABASE_URL"]
    for name in ("web", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == "service_healthy"
    assert services["web"]["command"] == ["throughcare", "serve"]
    assert services["worker"]["command"] == ["throughcare", "worker"]
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])


def test_configmap_holds_settings_and_no_secrets():
    (configmap,) = load_yaml(K8S / "configmap.yaml")
    keys = set(configmap["data"])
    assert keys <= settings_variables()
    assert not keys & SECRET_SETTINGS, "secrets belong in the Secret, not the ConfigMap"
    (secret,) = load_yaml(K8S / "secret.example.yaml")
    assert set(secret["stringData"]) == SECRET_SETTINGS


def test_web_pods_are_locked_down_and_probed():
    (deployment,) = load_yaml(K8S / "web-deployment.yaml")
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/health"
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/var/lib/throughcare"]]


def test_dockerfile_runs_unprivileged_and_checks_health():
    text = (DEPLOY / "Dockerfile").read_text()
    final_stage = text.split("\nFROM ")[-1]
    assert re.search(r"^FROM \$\{PYTHON_IMAGE\}|^ARG PYTHON_IMAGE=python:3\.11-slim", text, re.M)
    users = re.findall(r"^USER\s+(\S+)", final_stage, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert re.search(r"^EXPOSE 8000$", final_stage, re.M)
    assert re.search(r"^HEALTHCHECK .*/health", final_stage, re.M | re.S)
    assert 'CMD ["throughcare", "serve"]' in final_stage
    for name in ("THROUGHCARE_TENANTS_DIR", "THROUGHCARE_POLICIES_DIR", "THROUGHCARE_VAR_DIR"):
        assert re.search(rf"{name}=/\S+", final_stage), name


# --- (c) the kustomization ------------------------------------------------------------


def test_kustomization_lists_every_manifest_that_exists():
    (kustomization,) = load_yaml(K8S / "kustomization.yaml")
    listed = kustomization["resources"]
    for name in listed:
        assert (K8S / name).is_file(), f"kustomization lists missing {name}"
    assert "secret.example.yaml" not in listed, "the example Secret must never be applied"
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert on_disk == set(listed), f"not listed in kustomization: {on_disk - set(listed)}"


def test_kustomization_rewrites_every_container_image():
    (kustomization,) = load_yaml(K8S / "kustomization.yaml")
    rewritten = {image["name"] for image in kustomization.get("images", [])}
    for name in kustomization["resources"]:
        for doc in load_yaml(K8S / name):
            pod = doc.get("spec", {}).get("template", {}).get("spec", {})
            for container in pod.get("containers", []):
                assert container["image"] in rewritten, f"{name}: {container['image']}"


# --- (d) no real secrets --------------------------------------------------------------

PLACEHOLDER = re.compile(r"^(|\$\{[^}]*\}|.*change-?me.*|.*example.*|<[^>]*>|PASSWORD)$", re.I)
SENSITIVE_ASSIGNMENT = re.compile(
    # Not preceded by "${": compose's ${NAME:?message} is a reference, not a value.
    r"(?<![\w{$])([A-Za-z_]*(?:secret|password|passwd|private_key|api_key)[A-Za-z_]*)[\"']?"
    r"[ \t]*[:=][ \t]*(.*)$",
    re.I | re.M,
)
URL_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]*:(\$\{[^}]*\}|[^@\s/]+)@", re.I)
PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
LONG_TOKEN = re.compile(r"[A-Za-z0-9_+/=-]{32,}")
LONG_HEX = re.compile(r"(?<!sha256:)\b[0-9a-fA-F]{32,}\b")


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def secret_findings(text: str) -> list[str]:
    """What in ``text`` looks like a real secret rather than a placeholder."""
    findings = []
    for key, raw in SENSITIVE_ASSIGNMENT.findall(text):
        value = raw.split(" #")[0].strip().strip("\"'")
        if not PLACEHOLDER.match(value):
            findings.append(f"{key} has a value")
    for password in URL_CREDENTIALS.findall(text):
        if not PLACEHOLDER.match(password):
            findings.append("a URL carries a password")
    if PRIVATE_KEY.search(text):
        findings.append("a private key")
    for token in LONG_TOKEN.findall(text):
        mixed = all(re.search(c, token) for c in ("[a-z]", "[A-Z]", "[0-9]"))
        if mixed and _entropy(token) > 4.0:
            findings.append(f"a random-looking token {token[:6]}...")
    findings += [f"a long hex string {h[:6]}..." for h in LONG_HEX.findall(text)]
    return findings


def _random_token(length: int, alphabet: str = string.ascii_letters + string.digits + "-_") -> str:
    # Seeded: the same secret-shaped strings every run, and none of them in the source.
    return "".join(random.Random(length).choices(alphabet, k=length))


@pytest.mark.parametrize("path", deploy_files(), ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_no_real_secret_under_deploy(path: Path):
    assert not secret_findings(path.read_text()), path.relative_to(ROOT)


@pytest.mark.parametrize(
    "text",
    [
        f"THROUGHCARE_SECRET_KEY={_random_token(64)}",
        "  THROUGHCARE_SECRET_KEY: 'correct horse battery staple, really'",
        "POSTGRES_PASSWORD=hunter2",
        "url: postgresql+asyncpg://throughcare:hunter2@db:5432/throughcare",
        f"key: {_random_token(64, string.hexdigits[:16])}",
        f"value: {_random_token(54)}",
        "-----BEGIN " + "RSA PRIVATE KEY-----",
    ],
)
def test_the_secret_check_catches_real_looking_secrets(text: str):
    assert secret_findings(text)


@pytest.mark.parametrize(
    "text",
    [
        'THROUGHCARE_SECRET_KEY: "change-me"',
        'THROUGHCARE_SECRET_KEY: "${THROUGHCARE_SECRET_KEY:?set THROUGHCARE_SECRET_KEY}"',
        "POSTGRES_PASSWORD=",
        "url: postgresql+asyncpg://throughcare:${POSTGRES_PASSWORD:?set it}@postgres/throughcare",
        "url: postgresql+asyncpg://USER:PASSWORD@HOST:5432/DBNAME",
        "THROUGHCARE_REDIS_URL: redis://redis:6379/0",
        "- secretRef:",
    ],
)
def test_the_secret_check_lets_placeholders_through(text: str):
    assert not secret_findings(text)


def test_operator_env_files_are_git_ignored():
    ignored = (DEPLOY / ".gitignore").read_text().splitlines()
    assert ".env" in ignored
    assert (DEPLOY / ".env.example").is_file()
