"""`cradl run` killed (SIGKILL) at seeded moments inside every stage, rerun
after each kill, must end with the outputs of an uninterrupted run; after
every kill, no file under its final name is half-written, and at the end no
temporary file is left.

    kill_resume_check.py CRADL WORK_FOLDER [SEED]
"""
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from run_outputs import comparable, complete, differences, finals, temporaries

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

    # The same outputs as the uninterrupted run.
    found = differences(killed, reference)
    assert not found, "\n".join(found)
    print(f"kill-resume: {sum(hits.values())} SIGKILLs (seed {seed}; per stage {hits}; {left_over} temporary "
          f"files seen after kills), {len(comparable(reference))} outputs equal the uninterrupted run's, "
          "no temporary file left")
    # Every stage was interrupted at least once: otherwise the test proved less than it says.
    assert all(hits[stage] > 0 for stage in STAGES), hits


main()
