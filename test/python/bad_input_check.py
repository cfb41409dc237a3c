"""The tool as a demanding new user tries it: each case that once crashed,
hung, lost work or failed silently now works or gives one clear error, and
writes nothing it should not.

    bad_input_check.py CRADL WORK_FOLDER
"""
import gzip
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

cradl, work = sys.argv[1], Path(sys.argv[2])
shutil.rmtree(work, ignore_errors=True)
work.mkdir(parents=True)
data = work / "data"
subprocess.run([cradl, "make-dataset", "--out", str(data), "--train", "3", "--val", "1", "--test", "2",
                "--spacing", "4", "--seed", "1"], check=True, capture_output=True)
SETTINGS = ["--slice-size", "64", "--nf", "4", "--nz", "16", "--epochs", "2", "--batch", "8", "--warmup-epochs", "1",
            "--components", "1"]


def cradl_command(command, out, *extra, manifests=("train", "val", "test"), timeout=120):
    given = [arg for name in manifests for arg in (f"--{name}", str(data / f"{name}.csv"))]
    threads = [] if "--threads" in extra else ["--threads", "1"]
    return subprocess.run([cradl, command, "--out", str(out), *given, *SETTINGS, *threads, *extra],
                          capture_output=True, text=True, timeout=timeout)


def refused(result, *words):
    """Exit 1 and a last line that says `words`, with no backtrace or address."""
    last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    assert result.returncode == 1, f"exit {result.returncode}:\n{result.stderr}"
    assert last.startswith("cradl: ") and all(word in last for word in words), f"not {words}:\n{result.stderr}"
    assert "frame #" not in result.stderr and "0x" not in last, result.stderr
    return last


def files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


out = work / "out"
good = cradl_command("run", out)
assert good.returncode == 0, good.stderr
before = files(out)

# A median radius past the vectorised window (it overran a stack array) works;
# past the limit it is refused before anything is written.
six = cradl_command("score", out, "--median-radius", "6", manifests=("test",))
assert six.returncode == 0, six.stderr
for radius in ("16", "100000"):
    print("median radius", radius, "->", refused(cradl_command("score", work / "unused", "--median-radius", radius,
                                                               manifests=("test",)), "median_radius", "<= 15"))
assert not (work / "unused").exists()

# Threads: more than 4 per core is refused at once; past the cores a warning.
cores = len(os.sched_getaffinity(0))
started = time.time()
print("threads 9999 ->", refused(cradl_command("score", out, "--threads", "9999", manifests=("test",), timeout=30),
                                 "threads", f"<= {4 * os.cpu_count()}"))
assert time.time() - started < 30
over = cradl_command("score", out, "--threads", str(cores + 1), "--force", manifests=("test",))
assert over.returncode == 0 and f"{cores + 1} threads on {cores} cores" in over.stderr, over.stderr

# An empty brain mask: the error names the manifest, the row and the mask.
mask = data / "masks" / "test_001_brain.nii.gz"
raw = gzip.open(mask).read()
offset = int(__import__("struct").unpack("<f", raw[108:112])[0])
(data / "empty_brain.nii.gz").write_bytes(gzip.compress(raw[:offset] + bytes(len(raw) - offset)))
(data / "empty.csv").write_text("image,mask\nimages/test_000.nii.gz,masks/test_000_brain.nii.gz\n"
                                "images/test_001.nii.gz,empty_brain.nii.gz\n")
result = subprocess.run([cradl, "score", "--out", str(out), "--test", str(data / "empty.csv"), *SETTINGS],
                        capture_output=True, text=True)
print("empty mask ->", refused(result, "empty.csv", "row 2", "empty_brain.nii.gz", "is empty"))

# Evaluate without --val says what it skips, and the segmentations an earlier
# run left are removed, not kept beside maps they no longer belong to.
assert list((out / "segmentations").glob("*.nii.gz")), "the good run made no segmentations"
cradl_command("score", out, manifests=("test",))  # back to the run's maps
result = cradl_command("evaluate", out, manifests=("test",))
assert result.returncode == 0, result.stderr
assert "no --val: the label-free threshold, its Dice and the segmentations are skipped" in result.stderr, result.stderr
assert "removed 2 segmentation(s) of an earlier run" in result.stderr, result.stderr
assert not list((out / "segmentations").glob("*")), list((out / "segmentations").glob("*"))

# A key given twice in a config file is refused, not resolved silently.
config = work / "twice.json"
config.write_text('{"epochs": 2, "sigma": 1.0, "epochs": 3}')
print("duplicate key ->", refused(cradl_command("run", work / "twice", "--config", str(config)),
                                  "twice.json", "'epochs' is given twice"))
assert not (work / "twice").exists()

# An empty manifest: refused before anything is written (no OUT/config.json).
(data / "none.csv").write_text("image,mask,label\n")
result = subprocess.run([cradl, "run", "--out", str(work / "empty-run"), "--train", str(data / "train.csv"),
                         "--val", str(data / "val.csv"), "--test", str(data / "none.csv"), *SETTINGS],
                        capture_output=True, text=True)
print("empty manifest ->", refused(result, "none.csv", "lists no scans"))
assert not (work / "empty-run").exists()

# The good run's models were never touched by any of it.
after = files(out)
for model in ("encoder.pt", "mixture.pt", "candidates/mixture-K1.pt"):
    assert after[Path(model)] == before[Path(model)], model
print("bad input: every case gives one clear error or works, and nothing is lost")
