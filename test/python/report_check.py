"""The report page in a real browser (Debian's headless Chromium): a tiny
`cradl run`, then OUT/report/index.html opened offline: it loads without a
console message, every picture decodes, every plot is drawn, every number
it shows is metrics.json's, it refers to nothing outside itself, `cradl
report OUT` rebuilds the same page, and a screenshot of it is not blank.
Exits 77 (skipped) without Chromium.

    report_check.py CRADL WORK_FOLDER
"""
import html.parser
import json
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

cradl, work = sys.argv[1], Path(sys.argv[2])
browser = next((shutil.which(name) for name in ("chromium-headless-shell", "chromium") if shutil.which(name)), None)
if browser is None:
    print("skipped: no headless Chromium (apt-get install chromium-headless-shell; scripts/test.sh installs it)")
    sys.exit(77)

shutil.rmtree(work, ignore_errors=True)
work.mkdir(parents=True)
data, out = work / "data", work / "out"
subprocess.run([cradl, "make-dataset", "--out", str(data), "--train", "3", "--val", "1", "--test", "2", "--spacing", "4",
                "--seed", "1"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
run = subprocess.run([cradl, "run", "--train", str(data / "train.csv"), "--val", str(data / "val.csv"), "--test",
                      str(data / "test.csv"), "--out", str(out), "--slice-size", "64", "--nf", "4", "--nz", "16",
                      "--epochs", "2", "--batch", "8", "--warmup-epochs", "1", "--components", "1", "--threads", "2"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
assert run.returncode == 0, run.stderr
page = out / "report" / "index.html"
assert f"report: {page}" in run.stdout, run.stdout  # run ends by naming the page
written = page.read_bytes()
again = subprocess.run([cradl, "report", str(out)], stdout=subprocess.PIPE, text=True, check=True)
assert again.stdout.strip() == f"report: {page}", again.stdout
assert page.read_bytes() == written, "cradl report OUT rebuilt another page"

# Offline: no picture, script or style from elsewhere.
text = written.decode()
external = re.findall(r'(?:src|href)="(?!data:|#)([^"]*)"', text)
assert not external, f"the page refers to {external[:5]}"


def chromium(*arguments):
    return subprocess.run([browser, "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr",
                           "--v=0", "--virtual-time-budget=10000", *arguments, page.as_uri()],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)


dom = chromium("--dump-dom")
console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
assert not console, "console messages:\n" + "\n".join(console)
body = re.search(r"<body([^>]*)>", dom.stdout).group(1)
state = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body))
print("page:", state)
assert state.get("ready") == "yes", state
assert int(state["images"]) >= 11 and state["images"] == state["images-loaded"], state  # 2 scans x 5 + colour bars
assert state["plots"] == "5" and state["plots-drawn"] == "5", state


# Every number shown is metrics.json's: the value it carries and the text it shows.
class Numbers(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.shown, self.open = [], None

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if "data-metric" in attributes:
            self.open = [attributes["data-metric"], float(attributes["data-value"]), ""]

    def handle_data(self, text):
        if self.open is not None:
            self.open[2] += text

    def handle_endtag(self, tag):
        if self.open is not None and tag in ("td", "span"):
            self.shown.append(tuple(self.open))
            self.open = None


numbers = Numbers()
numbers.feed(dom.stdout)
metrics = json.loads((out / "metrics.json").read_text())


def at(key):
    node = metrics
    for part in key.split("."):
        node = node[part]
    return node


for key, value, shown in numbers.shown:
    expected = at(key)
    assert abs(value - expected) <= 1e-15 * max(1.0, abs(expected)), (key, value, expected)
    assert shown.strip() in (f"{expected:.4f}", f"{expected:.4g}"), (key, shown, expected)
keys = {key for key, _, _ in numbers.shown}
for key in ("cradl.auroc", "cradl.auprc", "cradl_brain_only.auprc", "baseline_brain_only.auprc", "cradl_slice.auroc",
            "label_free_threshold.dice", "label_free_threshold.value"):
    assert key in keys, f"{key} is not shown"
assert sum(key.startswith("per_kind.") for key in keys) >= 8, "per-kind rows missing"
assert sum(key.startswith("modes.") for key in keys) >= 8, "the other maps' rows missing"
print(f"{len(numbers.shown)} numbers shown, each metrics.json's")

# A screenshot a person can look at, and that shows something.
shot = work / "report.png"
taken = chromium(f"--screenshot={shot}", "--window-size=1280,4000")
raw = shot.read_bytes()
assert raw[:8] == b"\x89PNG\r\n\x1a\n", taken.stderr
width, height = struct.unpack(">II", raw[16:24])
chunks, at_byte = [], 8
while at_byte < len(raw):
    length, kind = struct.unpack(">I4s", raw[at_byte:at_byte + 8])
    if kind == b"IDAT":
        chunks.append(raw[at_byte + 8:at_byte + 8 + length])
    at_byte += 12 + length
pixels = zlib.decompress(b"".join(chunks))
assert (width, height) == (1280, 4000), (width, height)
assert len(set(pixels[:: 97])) > 40, "the screenshot is nearly blank"
print(f"screenshot {shot}: {width} x {height}")
