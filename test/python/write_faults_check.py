"""Writes that fail, as SQLite tests its I/O: `cradl run` on tiny data under
an LD_PRELOAD shim (test/faults/cradlWriteFaults.c) that fails the n-th
operation changing a file in the output folder (open for writing, write,
fwrite, fsync, rename, mkdir) with ENOSPC (a full disk: every later write
fails too) or EIO (once). After each failure point:
  - the run exits 1, and its error names a file or folder and the cause;
  - no temporary is left, and every file under its final name is whole and
    holds what an uninterrupted run's does (or is absent);
  - a rerun without faults ends with the uninterrupted run's outputs.
Then the same for `cradl score --sigma 1` over a folder that holds a good
run's maps: after each failure every map is the old run's or the new
settings' (never a broken one), and a rerun finishes the new settings.

    write_faults_check.py CRADL SHIM WORK [--every] [--points N] [--jobs J]

--every tries every failure point (the proof run by hand; README gives its
count and time), else N points spread over all of them (CI).
"""
import argparse
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from run_outputs import complete, differences, finals, same_output, temporaries

arguments = argparse.ArgumentParser()
arguments.add_argument("cradl")
arguments.add_argument("shim")
arguments.add_argument("work", type=Path)
arguments.add_argument("--every", action="store_true")
arguments.add_argument("--points", type=int, default=60)
arguments.add_argument("--jobs", type=int, default=2)
options = arguments.parse_args()
work = options.work
CAUSES = ("disk full", "I/O error", "No space left on device", "Input/output error")


def run_args(out, command="run", *extra):
    data = work / "data"
    return [options.cradl, command, "--train", str(data / "train.csv"), "--val", str(data / "val.csv"),
            "--test", str(data / "test.csv"), "--out", str(out), "--slice-size", "64", "--nf", "4", "--nz", "16",
            "--epochs", "2", "--batch", "8", "--warmup-epochs", "1", "--components", "1,2", "--threads", "1",
            *extra]


def cradl(args, out, fault_at=0, kind="ENOSPC", log=None):
    environment = {"CRADL_FAULT_DIR": str(out), "LD_PRELOAD": options.shim}
    if fault_at:
        environment.update(CRADL_FAULT_AT=str(fault_at), CRADL_FAULT_ERRNO=kind,
                           CRADL_FAULT_PERSIST="1" if kind == "ENOSPC" else "0")
    if log:
        environment["CRADL_FAULT_LOG"] = str(log)
    return subprocess.run(args, env={**os.environ, **environment}, capture_output=True, text=True)


def operations(args, out):
    """Every failure point of `args` run on `out`, from the shim's log."""
    log = work / f"{out.name}.operations"
    log.unlink(missing_ok=True)
    result = cradl(args, out, log=log)
    assert result.returncode == 0, result.stderr
    return [line.split(" ", 2) for line in log.read_text().splitlines()]


def chosen(points):
    """All points, or `options.points` spread evenly over them (both ends kept)."""
    if options.every or len(points) <= options.points:
        return points
    step = (len(points) - 1) / (options.points - 1)
    return [points[round(i * step)] for i in range(options.points)]


def failure_said(result, out, number, operation):
    error = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    where = f"point {number} ({operation[1]} {operation[2]}): exit {result.returncode}"
    assert result.returncode == 1, f"{where}, not 1:\n{result.stderr[-3000:]}"
    assert error.startswith("cradl: ") and any(cause in error for cause in CAUSES) and str(out) in error, \
        f"{where}: the last line does not name the file and the cause:\n{error}"


def each_final_is_one_of(out, references, number, operation):
    assert not temporaries(out), f"point {number} ({operation[1]} {operation[2]}): left {temporaries(out)}"
    for path in finals(out):
        relative = path.relative_to(out)
        assert complete(path), f"point {number} ({operation[1]} {operation[2]}): '{relative}' is half-written"
        if ".cradl" in relative.parts or relative.name in ("config.json", "index.html", "checkpoint.pt"):
            continue  # records and the page name their folder and times, a checkpoint is any epoch's: whole is what counts
        assert any((r / relative).exists() and same_output(path, r / relative) for r in references), \
            f"point {number} ({operation[1]} {operation[2]}): '{relative}' is no run's output"


def try_point(index, number, operation, args, start, references, final_reference, final_args):
    out = work / f"point-{number}"
    shutil.rmtree(out, ignore_errors=True)
    if start:
        shutil.copytree(start, out)
    kind = "ENOSPC" if index % 2 == 0 else "EIO"
    failed = cradl(args(out), out, fault_at=int(number), kind=kind)
    if kind == "EIO" and failed.returncode == 0:
        kind = "recovered"  # a writer that retried the one failed write: then all must be as if nothing failed
    else:
        failure_said(failed, out, number, operation)
    each_final_is_one_of(out, references, number, operation)
    rerun = cradl(final_args(out), out)
    assert rerun.returncode == 0, f"point {number}: the rerun failed:\n{rerun.stderr[-3000:]}"
    found = differences(out, final_reference)
    assert not found, f"point {number} ({kind} at {operation[1]} {operation[2]}), after the rerun:\n" + "\n".join(found)
    assert not temporaries(out), temporaries(out)
    shutil.rmtree(out)
    return kind


def campaign(name, points, args, start, references, final_reference, final_args=None):
    final_args = final_args or args
    picked = chosen(points)
    with ThreadPoolExecutor(options.jobs) as pool:
        kinds = list(pool.map(lambda item: try_point(item[0], item[1][0], item[1], args, start, references,
                                                     final_reference, final_args), enumerate(picked)))
    operations_tried = sorted({operation for _, operation, _ in picked})
    print(f"write faults, {name}: {len(picked)} of {len(points)} failure points ({kinds.count('ENOSPC')} disk full "
          f"from then on, {kinds.count('EIO') + kinds.count('recovered')} one I/O error, of which "
          f"{kinds.count('recovered')} a writer retried; operations {', '.join(operations_tried)}): each exits 1 "
          f"naming the file and the cause (or, retried, succeeds), leaves no temporary and no broken file, and a "
          f"rerun ends with the uninterrupted run's outputs")


def main():
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    subprocess.run([options.cradl, "make-dataset", "--out", str(work / "data"), "--train", "3", "--val", "1",
                    "--test", "2", "--spacing", "4", "--seed", "1"], check=True, capture_output=True)
    reference = work / "reference"
    good = subprocess.run(run_args(reference), capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    # The shim counting, not failing, changes nothing.
    counted = work / "counted"
    points = operations(run_args(counted), counted)
    found = differences(counted, reference)
    assert not found, "\n".join(found)
    campaign("cradl run", points, run_args, None, [reference], reference)

    # Good maps in the folder, then another sigma: old or new, never broken.
    new = work / "sigma1"
    shutil.copytree(reference, new)
    score_new = lambda out: run_args(out, "score", "--sigma", "1")
    result = subprocess.run(score_new(new), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    counted = work / "sigma1-counted"
    shutil.copytree(reference, counted)
    points = operations(score_new(counted), counted)
    campaign("cradl score --sigma 1 over a good run", points, score_new, reference, [reference, new], new)
    # And back: the record of the new settings sends the old ones to run again.
    back = subprocess.run(run_args(new, "score"), capture_output=True, text=True)
    assert back.returncode == 0 and "running" in back.stderr, back.stderr
    assert all(same_output(new / p, reference / p) for p in ("scores.csv", "maps/test_000_anomaly.nii.gz"))


main()
