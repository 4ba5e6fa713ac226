"""execkit's in-tree PEP 517 build backend.

It needs nothing but the Python standard library and the Go toolchain, so
``pip install .`` works on an air-gapped machine: ``requires = []`` in
pyproject.toml, nothing is fetched from a package index. The wheel holds the
pure-Python package (python/execkit) and ``libexeckit.so``, built from capi/
with ``go build -buildmode=c-shared``; it is tagged ``py3-none-<platform>``
(one wheel serves every Python 3, since cffi's ABI mode compiles nothing
against Python).

The Go build never downloads either: ``GOTOOLCHAIN=local`` (the installed go,
not a newer one fetched because go.mod asks for it), and an sdist carries a
``vendor/`` directory of every Go dependency, which the build then uses
(``-mod=vendor``). From a git checkout the dependencies come from the module
cache; ``go mod download`` fills it once.

Environment:
    EXECKIT_GO            the go binary (default: ``go`` on PATH)
    EXECKIT_GO_BUILDFLAGS extra flags for ``go build`` (split on spaces)
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile
from typing import Any, Dict, Iterable, List, Optional, Tuple

ROOT = os.getcwd()  # PEP 517: hooks run in the source tree's root
PACKAGE_DIR = os.path.join("python", "execkit")
LIBRARY = "libexeckit.so"
HEADER = os.path.join("capi", "execkit.h")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


# --- metadata ---


def _pyproject() -> Dict[str, Any]:
    path = os.path.join(ROOT, "pyproject.toml")
    with open(path, "rb") as f:
        data = f.read()
    try:
        import tomllib  # Python 3.11+
    except ImportError:
        return {"project": _parse_project_table(data.decode("utf-8"))}
    return tomllib.loads(data.decode("utf-8"))


def _parse_project_table(text: str) -> Dict[str, Any]:
    """The [project] table's string and string-list values, for Pythons
    without tomllib (enough for this project's pyproject.toml)."""
    out: Dict[str, Any] = {}
    m = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if not m:
        return out
    body = m.group(1)
    for km in re.finditer(r'^([A-Za-z0-9_-]+)\s*=\s*(".*?"|\[.*?\])\s*$', body, re.M | re.S):
        key, value = km.group(1), km.group(2)
        if value.startswith('"'):
            out[key] = value[1:-1]
        else:
            out[key] = re.findall(r'"(.*?)"', value)
    return out


def _project() -> Dict[str, Any]:
    project = _pyproject().get("project", {})
    for key in ("name", "version"):
        if not project.get(key):
            raise RuntimeError(f"pyproject.toml: [project] {key} is required")
    return project


def _dist_name(project: Dict[str, Any]) -> str:
    return re.sub(r"[-_.]+", "_", project["name"]).lower()


def _metadata(project: Dict[str, Any]) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
    ]
    if project.get("description"):
        lines.append(f"Summary: {project['description']}")
    if project.get("requires-python"):
        lines.append(f"Requires-Python: {project['requires-python']}")
    for dep in project.get("dependencies", []):
        lines.append(f"Requires-Dist: {dep}")
    for c in project.get("classifiers", []):
        lines.append(f"Classifier: {c}")
    for label, url in (project.get("urls") or {}).items():
        lines.append(f"Project-URL: {label}, {url}")
    readme = project.get("readme")
    body = ""
    if isinstance(readme, str) and os.path.exists(os.path.join(ROOT, readme)):
        lines.append("Description-Content-Type: text/markdown")
        with open(os.path.join(ROOT, readme), encoding="utf-8") as f:
            body = f.read()
    return "\n".join(lines) + "\n\n" + body


def _wheel_tag() -> str:
    platform = re.sub(r"[-.]", "_", sysconfig.get_platform())
    return f"py3-none-{platform}"


# --- building the library ---


def _go() -> str:
    go = os.environ.get("EXECKIT_GO") or shutil.which("go")
    if not go:
        raise RuntimeError(
            "building execkit needs the Go toolchain (the go version go.mod names, or newer) on PATH, "
            "or EXECKIT_GO set to the go binary"
        )
    return go


def _build_library(out_dir: str) -> str:
    """Build libexeckit.so into out_dir and return its path."""
    env = dict(os.environ)
    env["CGO_ENABLED"] = "1"
    env.setdefault("GOTOOLCHAIN", "local")
    env["GOWORK"] = "off"
    flags = env.get("GOFLAGS", "")
    if os.path.isdir(os.path.join(ROOT, "vendor")) and "-mod=" not in flags:
        env["GOFLAGS"] = (flags + " -mod=vendor").strip()
    out = os.path.join(out_dir, LIBRARY)
    cmd = [_go(), "build", "-buildmode=c-shared", "-trimpath", "-ldflags=-s -w", "-o", out]
    cmd += os.environ.get("EXECKIT_GO_BUILDFLAGS", "").split()
    cmd.append("./capi")
    print("execkit_build: " + " ".join(cmd), file=sys.stderr)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise RuntimeError("go build failed:\n" + proc.stdout.decode("utf-8", "replace"))
    return out


# --- wheels ---


def _package_files() -> List[Tuple[str, str]]:
    """(archive name, source path) of the pure-Python package."""
    out = []
    base = os.path.join(ROOT, PACKAGE_DIR)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith((".pyc", ".so")):
                continue
            src = os.path.join(dirpath, name)
            rel = os.path.relpath(src, os.path.join(ROOT, "python"))
            out.append((rel.replace(os.sep, "/"), src))
    return out


class _Wheel:
    def __init__(self, path: str) -> None:
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self.records: List[str] = []

    def add(self, name: str, data: bytes, executable: bool = False) -> None:
        info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
        info.external_attr = ((0o755 if executable else 0o644) | 0o100000) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
        self.records.append(f"{name},sha256={digest},{len(data)}")

    def close(self, record_name: str) -> None:
        self.records.append(f"{record_name},,")
        info = zipfile.ZipInfo(record_name, date_time=ZIP_DATE)
        info.external_attr = (0o644 | 0o100000) << 16
        self.zip.writestr(info, "\n".join(self.records) + "\n")
        self.zip.close()


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _dist_info_files(project: Dict[str, Any]) -> Dict[str, bytes]:
    wheel = "Wheel-Version: 1.0\nGenerator: execkit_build\nRoot-Is-Purelib: false\nTag: " + _wheel_tag() + "\n"
    return {
        "METADATA": _metadata(project).encode("utf-8"),
        "WHEEL": wheel.encode("ascii"),
        "top_level.txt": b"execkit\n",
    }


def _write_wheel(wheel_directory: str, project: Dict[str, Any], contents: Iterable[Tuple[str, bytes, bool]]) -> str:
    name = f"{_dist_name(project)}-{project['version']}"
    filename = f"{name}-{_wheel_tag()}.whl"
    wheel = _Wheel(os.path.join(wheel_directory, filename))
    for arcname, data, executable in contents:
        wheel.add(arcname, data, executable)
    dist_info = f"{name}.dist-info"
    for fname, data in _dist_info_files(project).items():
        wheel.add(f"{dist_info}/{fname}", data)
    wheel.close(f"{dist_info}/RECORD")
    return filename


def get_requires_for_build_wheel(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    return []


def get_requires_for_build_sdist(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    return []


def get_requires_for_build_editable(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    return []


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: Optional[Dict[str, Any]] = None) -> str:
    project = _project()
    dist_info = f"{_dist_name(project)}-{project['version']}.dist-info"
    os.makedirs(os.path.join(metadata_directory, dist_info), exist_ok=True)
    for fname, data in _dist_info_files(project).items():
        with open(os.path.join(metadata_directory, dist_info, fname), "wb") as f:
            f.write(data)
    return dist_info


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory: str, config_settings: Optional[Dict[str, Any]] = None,
                metadata_directory: Optional[str] = None) -> str:
    project = _project()
    with tempfile.TemporaryDirectory(prefix="execkit-build-") as tmp:
        lib = _build_library(tmp)
        contents = [(arc, _read(src), False) for arc, src in _package_files()]
        contents.append((f"execkit/{LIBRARY}", _read(lib), True))
        contents.append(("execkit/execkit.h", _read(os.path.join(ROOT, HEADER)), False))
        return _write_wheel(wheel_directory, project, contents)


def build_editable(wheel_directory: str, config_settings: Optional[Dict[str, Any]] = None,
                   metadata_directory: Optional[str] = None) -> str:
    """An editable install: a .pth pointing at python/, and the library built
    into python/execkit/ (where git ignores it). Rebuild it after changing
    Go code by installing again."""
    project = _project()
    _build_library(os.path.join(ROOT, PACKAGE_DIR))
    generated = os.path.join(ROOT, PACKAGE_DIR, "libexeckit.h")
    if os.path.exists(generated):
        os.remove(generated)  # cgo's own header; capi/execkit.h is the contract
    pth = os.path.join(ROOT, "python") + "\n"
    return _write_wheel(wheel_directory, project, [("execkit_editable.pth", pth.encode("utf-8"), False)])


# --- sdists ---


def _go_sources() -> List[str]:
    """The main module's files the library's build needs (relative paths)."""
    fmt = "{{if not .Standard}}{{if not .Module.Main}}{{else}}{{.Dir}}|{{join .GoFiles \",\"}}|{{join .CgoFiles \",\"}}|{{join .HFiles \",\"}}|{{join .CFiles \",\"}}|{{join .EmbedFiles \",\"}}{{end}}{{end}}"
    env = dict(os.environ, GOWORK="off", GOTOOLCHAIN=os.environ.get("GOTOOLCHAIN", "local"))
    proc = subprocess.run([_go(), "list", "-deps", "-f", fmt, "./capi"], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        raise RuntimeError("go list failed:\n" + proc.stderr.decode("utf-8", "replace"))
    files = []
    for line in proc.stdout.decode("utf-8").splitlines():
        if not line.strip():
            continue
        directory, *groups = line.split("|")
        for group in groups:
            for name in filter(None, group.split(",")):
                files.append(os.path.relpath(os.path.join(directory, name), ROOT))
    return sorted(set(files))


def build_sdist(sdist_directory: str, config_settings: Optional[Dict[str, Any]] = None) -> str:
    """A source archive that builds with the Go toolchain alone: the Go
    sources the library needs, a vendor/ directory of its dependencies, and
    the Python package."""
    project = _project()
    name = f"{_dist_name(project)}-{project['version']}"
    filename = f"{name}.tar.gz"
    files = ["pyproject.toml", "go.mod", "go.sum", HEADER] + _go_sources()
    for arc, src in _package_files():
        files.append(os.path.relpath(src, ROOT))
    for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, "python", "build_backend")):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        files += [os.path.relpath(os.path.join(dirpath, f), ROOT) for f in filenames if not f.endswith(".pyc")]
    readme = project.get("readme")
    if isinstance(readme, str):
        files.append(readme)
    files += [f for f in ("LICENSE", "README.md") if os.path.exists(os.path.join(ROOT, f))]

    def add(tar: tarfile.TarFile, arcname: str, data: bytes) -> None:
        info = tarfile.TarInfo(f"{name}/{arcname}")
        info.size, info.mode, info.mtime = len(data), 0o644, 0
        tar.addfile(info, io.BytesIO(data))

    with tempfile.TemporaryDirectory(prefix="execkit-sdist-") as tmp:
        vendor = os.path.join(tmp, "vendor")
        env = dict(os.environ, GOWORK="off", GOTOOLCHAIN=os.environ.get("GOTOOLCHAIN", "local"))
        proc = subprocess.run([_go(), "mod", "vendor", "-o", vendor], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            raise RuntimeError("go mod vendor failed:\n" + proc.stdout.decode("utf-8", "replace"))
        with tarfile.open(os.path.join(sdist_directory, filename), "w:gz", format=tarfile.PAX_FORMAT) as tar:
            for rel in sorted(set(files)):
                add(tar, rel.replace(os.sep, "/"), _read(os.path.join(ROOT, rel)))
            for dirpath, dirnames, filenames in os.walk(vendor):
                dirnames.sort()
                for f in sorted(filenames):
                    src = os.path.join(dirpath, f)
                    add(tar, "vendor/" + os.path.relpath(src, vendor).replace(os.sep, "/"), _read(src))
            add(tar, "PKG-INFO", _metadata(project).encode("utf-8"))
    return filename
