"""`cradl run` killed (SIGKILL) at seeded moments inside every stage, rerun
after each kill, must end with the outputs of an uninterrupted run; after
every kill, no file under its final name is half-written, and at the end no
temporary file is left.

    kill_resume_check.py CRADL WORK_FOLDER [SEED]
"""
import gzip
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy
import torch

cradl, work = sys.argv[1], Path(sys.argv[2])
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 7
STAGES = ["train", "fit", "select", "score", "evaluate"]
KILLS_PER_STAGE = 3


def run_args(out):
    data = work / "data"
    return [cradl, "run", "--train", str(data / "train.csv"), "--val", str(data / "val.csv"),
            "--test", str(data / "test.csv"), "--out", str(out), "--slice-size", "64", "--nf", "4", "--nz", "16",
            "--epochs", "6", "--batch", "8", "--warmup-epochs", "1", "--components", "1,2", "--threads", "2"]


def start(out, log):
    return subprocess.Popen(run_args(out), stdout=subprocess.DEVNULL, stderr=open(log, "w"))


def stage_started(log, stage):
    return any(line.startswith(f"cradl: {stage}: ") and line.rstrip().endswith("running")
               for line in open(log, errors="replace"))


def stage_skipped(log, stage):
    return any(line.startswith(f"cradl: {stage}: up to date") for line in open(log, errors="replace"))


def running_stage(log):
    stages = [line.split(":")[1].split()[0] for line in open(log, errors="replace") if line.startswith("cradl: ")]
    return next(stage for stage in reversed(stages) if stage in STAGES)


def count_progress(log, stage):
    return sum(line.startswith(f"cradl: {stage} ") for line in open(log, errors="replace"))


def run_uninterrupted(out, log):
    process = start(out, log)
    assert process.wait() == 0, open(log).read()


def complete(path):
    """Whether a file under its final name is whole: what a reader needs."""
    name = path.name
    if name.endswith(".nii.gz") or name.endswith(".nii"):
        raw = gzip.open(path).read() if name.endswith(".gz") else path.read_bytes()
        voxel_offset = int(numpy.frombuffer(raw[108:112], "<f4")[0])
        dims = numpy.frombuffer(raw[40:56], "<i2")
        bitpix = int(numpy.frombuffer(raw[72:74], "<i2")[0])
        return len(raw) >= voxel_offset + int(numpy.prod(dims[1:dims[0] + 1].astype(numpy.int64))) * bitpix // 8
    if name.endswith(".pt"):
        torch.load(path)
        return True
    if name.endswith(".npz"):
        with numpy.load(path) as archive:
            [archive[key] for key in archive.files]
        return True
    if name.endswith(".json"):
        json.loads(path.read_text())
        return True
    if name.endswith(".csv"):
        text = path.read_text()
        return text.endswith("\n")
    if name.endswith(".png"):
        return path.read_bytes()[-12:-8] == b"\0\0\0\0" and path.read_bytes()[-8:-4] == b"IEND"
    return True


def temporaries(out):
    return [p for p in out.rglob("*") if p.is_file() and (p.name.endswith(".part") or p.name.startswith("partial-"))]


def finals(out):
    return sorted(p for p in out.rglob("*") if p.is_file() and p not in temporaries(out))


def optimizer_tensors(blob):
    archive = zipfile.ZipFile(io.BytesIO(blob.numpy().tobytes()))
    return sorted(archive.read(name) for name in archive.namelist() if "/data/" in name)


def same(x, y):
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(same(x[k], y[k]) for k in x)
    if isinstance(x, (list, tuple)):
        return len(x) == len(y) and all(same(u, v) for u, v in zip(x, y))
    if torch.is_tensor(x):
        return torch.equal(x, y)
    return x == y


def main():
    subprocess.run(["rm", "-rf", str(work)], check=True)
    subprocess.run([cradl, "make-dataset", "--out", str(work / "data"), "--train", "3", "--val", "1", "--test", "2",
                    "--spacing", "4", "--seed", "1"], check=True, capture_output=True)
    reference = work / "reference"
    run_uninterrupted(reference, work / "reference.log")
    progress_lines = {stage: count_progress(work / "reference.log", stage) for stage in STAGES}

    generator = random.Random(seed)
    killed = work / "killed"
    hits = {stage: 0 for stage in STAGES}
    attempt = 0
    left_over = 0
    for stage in STAGES:
        for _ in range(KILLS_PER_STAGE):
            attempt += 1
            log = work / f"attempt-{attempt}.log"
            process = start(killed, log)
            # Wait until this run is inside the stage (earlier ones are skipped
            # or resumed) and has logged a seeded number of its progress lines,
            # then a seeded few milliseconds: points inside the stage whatever
            # the machine's speed.
            lines = generator.randrange(0, max(1, progress_lines[stage]))
            while process.poll() is None and not stage_skipped(log, stage) and not (
                    stage_started(log, stage) and count_progress(log, stage) >= lines):
                time.sleep(0.001)
            finished_before = stage_skipped(log, stage)
            if not finished_before:
                time.sleep(generator.uniform(0.0, 0.05))
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
                hits[running_stage(log)] += 1
            else:
                assert process.returncode == 0, log.read_text()
            for path in finals(killed):
                assert complete(path), f"after kill {attempt} ({stage}): '{path}' is half-written"
            left_over += len(temporaries(killed))
            if finished_before:
                break
    final_log = work / "final.log"
    process = start(killed, final_log)
    assert process.wait() == 0, final_log.read_text()
    assert not temporaries(killed), temporaries(killed)

    # The same outputs as the uninterrupted run (settings records name their
    # own folder; the report page is a view of the compared files, with the
    # run's folder and times in it).
    def comparable(out):
        return {p.relative_to(out) for p in finals(out)
                if p.name not in ("config.json", "index.html") and ".cradl" not in p.relative_to(out).parts}
    assert comparable(killed) == comparable(reference), comparable(killed) ^ comparable(reference)
    for relative in sorted(comparable(reference)):
        a, b = reference / relative, killed / relative
        if relative.name == "checkpoint.pt":
            x, y = torch.load(a), torch.load(b)
            # LibTorch serialises Adam's state in the order of a hash map keyed
            # by tensor addresses: the same tensors, in another order.
            x["optimizer"], y["optimizer"] = optimizer_tensors(x["optimizer"]), optimizer_tensors(y["optimizer"])
            assert same(x, y), f"'{relative}' differs from the uninterrupted run's"
        elif relative.name == "metrics.json":
            x, y = json.loads(a.read_text()), json.loads(b.read_text())
            for run_specific in ("config", "stage_seconds"):
                x.pop(run_specific), y.pop(run_specific)
            assert x == y, f"metrics differ:\n{x}\n{y}"
        elif relative.name == "report.json":
            x, y = json.loads(a.read_text()), json.loads(b.read_text())
            x.pop("evaluate"), y.pop("evaluate")  # its time and machine
            assert x == y, f"'{relative}' differs from the uninterrupted run's"
        else:
            assert a.read_bytes() == b.read_bytes(), f"'{relative}' differs from the uninterrupted run's"
    print(f"kill-resume: {sum(hits.values())} SIGKILLs (seed {seed}; per stage {hits}; {left_over} temporary "
          f"files seen after kills), {len(comparable(reference))} outputs equal the uninterrupted run's, "
          "no temporary file left")
    # Every stage was interrupted at least once: otherwise the test proved less than it says.
    assert all(hits[stage] > 0 for stage in STAGES), hits


main()
