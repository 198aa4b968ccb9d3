#!/usr/bin/env python3
"""Which folder may include which: the layering of Balie, checked on every
test run (CTest `layering`) and on demand (`cmake --build build -t check_layering`).

  channels/ (root)   its own headers, and server/'s
  channels/<name>/   its own folder, channels/ root, queue/, server/,
                     calendar/ (local dates in Dutch words);
                     never another channel's folder, never gateway/
  server/, routing/, calendar/  themselves and channels/ root
  search/            itself, channels/ root and routing/ (Dutch words)
  queue/             itself, channels/ root and channels' sans-io cores
  openklant/         itself, channels/ root, queue/ and server/
  gateway/           anything but a channel's I/O service headers: it sees a
                     channel through its module (<name>_channel.hpp), its
                     settings and its sans-io core
A channel's I/O service headers are those of the sources in its `balie_<name>`
library (channels/<name>/CMakeLists.txt). Exit status 1 lists each offence.
"""
import pathlib
import re
import sys

if len(sys.argv) > 2 and sys.argv[2] == "--self-test":
    # The check must fail on a planted offence: a copy of the tree where the web
    # chat includes the email sender and the gateway, and the gateway the chat service.
    import shutil
    import subprocess
    import tempfile
    source = pathlib.Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        for folder in ["channels", "server", "routing", "calendar", "search", "queue", "gateway"]:
            shutil.copytree(source / folder, pathlib.Path(tmp) / folder)
        (pathlib.Path(tmp) / "channels/webchat/planted.cpp").write_text(
            '#include "channels/email/email_sender.hpp"\n#include "gateway/api.hpp"\n')
        (pathlib.Path(tmp) / "gateway/planted.cpp").write_text('#include "channels/webchat/chat_service.hpp"\n')
        r = subprocess.run([sys.executable, __file__, tmp], capture_output=True, text=True)
        expected = ["channels/webchat/planted.cpp: includes channels/email/email_sender.hpp",
                    "channels/webchat/planted.cpp: includes gateway/api.hpp",
                    "gateway/planted.cpp: includes channels/webchat/chat_service.hpp"]
        missing = [e for e in expected if e not in r.stdout]
        if r.returncode != 1 or missing:
            print("layering self-test: the check missed %s (exit %d)\n%s" % (missing, r.returncode, r.stdout))
            sys.exit(1)
    print("layering self-test: planted offences are reported")
    sys.exit(0)

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
include = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
channel_names = sorted(p.name for p in (root / "channels").iterdir() if p.is_dir())


def io_headers(name):
    """Headers of the channel's I/O library, its module header excepted."""
    text = (root / "channels" / name / "CMakeLists.txt").read_text()
    m = re.search(r"add_library\(balie_%s STATIC([^)]*)\)" % re.escape(name), text)
    if not m:
        return set()
    out = set()
    for src in m.group(1).split():
        stem = src.rsplit(".", 1)[0]
        if stem != name + "_channel":
            out.add("channels/%s/%s.hpp" % (name, stem))
    return out


private = {name: io_headers(name) for name in channel_names}


def folder_of(header):
    parts = header.split("/")
    if parts[0] == "channels" and len(parts) > 2:
        return "channels/" + parts[1]
    return parts[0] if len(parts) > 1 else ""


def allowed(source_folder, header):
    target = folder_of(header)
    if source_folder == "channels":
        return target in ("channels", "server")
    if source_folder.startswith("channels/"):
        return target in (source_folder, "channels", "queue", "server", "calendar")
    if source_folder in ("server", "routing", "calendar"):
        return target in (source_folder, "channels")
    if source_folder == "search":
        return target in ("search", "channels", "routing")
    if source_folder == "queue":
        if target.startswith("channels/"):
            return header not in private[target.split("/")[1]]
        return target in ("queue", "channels")
    if source_folder == "openklant":
        return target in ("openklant", "channels", "queue", "server")
    if source_folder == "gateway":
        if target.startswith("channels/"):
            return header not in private[target.split("/")[1]]
        return True
    return True  # tests and tools see everything


offences = []
for folder in ["channels", "server", "routing", "calendar", "search", "queue", "openklant", "gateway"]:
    for path in sorted((root / folder).rglob("*")):
        if path.suffix not in (".hpp", ".cpp", ".ipp") or not path.is_file():
            continue
        source_folder = folder_of(str(path.relative_to(root)))
        for header in include.findall(path.read_text(errors="replace")):
            if "/" in header and not allowed(source_folder, header):
                offences.append("%s: includes %s" % (path.relative_to(root), header))

for o in offences:
    print(o)
if offences:
    print("layering: %d include(s) cross a boundary (see tests/layering/check_includes.py)" % len(offences))
    sys.exit(1)
print("layering: every include stays within its layer")
