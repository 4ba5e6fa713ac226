"""The contract: execkit.h, the cffi declarations and the built library agree,
and the installed package is what the wheel should hold."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from typing import Set

import pytest

import execkit
from execkit import _lib, errors

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def prototypes(text: str) -> Set[str]:
    """The function declarations in C text, whitespace-normalized."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"^\s*#.*$", "", text, flags=re.M)
    text = text.replace('extern "C" {', "").replace("}", "")
    out = set()
    for decl in text.split(";"):
        decl = " ".join(decl.split())
        if "execkit_" in decl and "(" in decl:
            decl = re.sub(r"\s*\*\s*", " *", decl).replace("( ", "(").replace(" )", ")")
            out.add(decl)
    return out


def read(path: str) -> str:
    with open(path) as f:
        return f.read()


def test_cdef_mirrors_the_header():
    header = prototypes(read(os.path.join(REPO, "capi", "execkit.h")))
    assert header, "no declarations found in capi/execkit.h"
    assert prototypes(_lib.CDEF) == header


def test_the_installed_header_is_the_source_header():
    assert read(_lib.header_path()) == read(os.path.join(REPO, "capi", "execkit.h"))


def dynamic_symbols(path: str) -> Set[str]:
    """Names of the functions an ELF64 shared object defines and exports."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"\x7fELF" and data[4] == 2, "an ELF64 library"
    endian = "<" if data[5] == 1 else ">"
    shoff, = struct.unpack_from(endian + "Q", data, 0x28)
    shentsize, shnum = struct.unpack_from(endian + "HH", data, 0x3A)
    sections = [struct.unpack_from(endian + "IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names = set()
    for _name, sh_type, _flags, _addr, offset, size, link, _info, _align, entsize in sections:
        if sh_type != 11:  # SHT_DYNSYM
            continue
        strtab = sections[link]
        str_off = strtab[4]
        for i in range(size // entsize):
            st_name, st_info, _other, st_shndx, _value, _size = struct.unpack_from(endian + "IBBHQQ", data, offset + i * entsize)
            if st_shndx == 0 or (st_info & 0xF) != 2:  # undefined, or not a function
                continue
            end = data.index(b"\0", str_off + st_name)
            names.add(data[str_off + st_name:end].decode())
    return names


def test_the_library_exports_exactly_the_header():
    exported = {n for n in dynamic_symbols(_lib.library_path()) if n.startswith("execkit_")}
    declared = {re.search(r"(execkit_\w+)\(", p).group(1) for p in prototypes(_lib.CDEF)}  # type: ignore[union-attr]
    assert exported == declared


def test_every_error_kind_has_an_exception():
    kinds = set(re.findall(r'#define EXECKIT_KIND_\w+ "(\w+)"', read(os.path.join(REPO, "capi", "execkit.h"))))
    assert kinds
    assert kinds <= set(errors._BY_KIND), f"no exception for {kinds - set(errors._BY_KIND)}"
    for kind in kinds:
        e = errors.from_answer({"kind": kind, "message": "m"})
        assert isinstance(e, execkit.ExecKitError) and e.kind == kind and str(e) == "m"


def test_abi_version_matches_the_header():
    assert f"#define EXECKIT_ABI_VERSION {_lib.ABI_VERSION}" in read(os.path.join(REPO, "capi", "execkit.h"))


def test_installed_as_a_wheel_with_the_library():
    pkg = os.path.dirname(execkit.__file__)
    assert not pkg.startswith(os.path.join(REPO, "python")), "tests run against the installed package, not the source tree"
    for name in ("libexeckit.so", "execkit.h", "py.typed"):
        assert os.path.exists(os.path.join(pkg, name)), name


def test_version_matches_pyproject():
    text = read(os.path.join(REPO, "pyproject.toml"))
    assert f'version = "{execkit.__version__}"' in text
    from importlib.metadata import version
    assert version("execkit") == execkit.__version__


def test_public_names_are_documented():
    for name in execkit.__all__:
        obj = getattr(execkit, name)
        assert obj.__doc__, f"execkit.{name} has no docstring"
    for name in ("local", "ssh", "docker", "exec", "output", "close", "interrupt"):
        assert getattr(execkit.Session, name).__doc__, name


C_PROGRAM = r"""
#include <stdio.h>
#include <string.h>
#include "execkit.h"

int main(void) {
    char *v = execkit_version();
    printf("%s\n", v);
    execkit_free(v);
    char *o = execkit_open("{\"config\": {\"cwd\": \"/\"}}", 0);
    printf("%s\n", o);
    unsigned long long h = 0;
    const char *p = strstr(o, "\"session\":");
    if (p) sscanf(p + 10, "%llu", &h);
    execkit_free(o);
    const char cmd[] = "echo from-c; echo e >&2";
    uint64_t call = execkit_call_new();
    char *r = execkit_exec(h, cmd, sizeof cmd - 1, "{\"timeout_s\": 10}", call);
    printf("%s\n", r);
    execkit_free(r);
    char *c = execkit_close(h);
    printf("%s\n", c);
    execkit_free(c);
    c = execkit_close(h);
    printf("%s\n", c);
    execkit_free(c);
    return 0;
}
"""


def test_a_c_program_uses_the_header_and_library(tmp_path):
    """The header is enough for a C caller: compile, link and run against
    the installed library."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    src = tmp_path / "prog.c"
    src.write_text(C_PROGRAM)
    lib_dir = os.path.dirname(_lib.library_path())
    exe = tmp_path / "prog"
    subprocess.run([cc, "-Wall", "-Werror", "-o", str(exe), str(src), "-I", os.path.dirname(_lib.header_path()),
                    "-L", lib_dir, "-l:libexeckit.so", f"-Wl,-rpath,{lib_dir}"], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60, check=True).stdout.splitlines()
    assert json.loads(out[0])["abi"] == _lib.ABI_VERSION
    assert json.loads(out[1])["transport"] == "local"
    result = json.loads(out[2])
    assert (result["stdout"], result["stderr"], result["exit_code"], result["cwd"]) == ("from-c\n", "e\n", 0, "/")
    assert json.loads(out[3]) == {"closed": True}
    assert json.loads(out[4])["error"]["kind"] == "bad_handle"
