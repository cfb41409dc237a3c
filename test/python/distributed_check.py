"""`cradl --nproc 2` against one process, stage by stage, on a tiny data set:

- train: two processes compute what one does with the same global batch (the
  torch-core test bounds this by its error model; here the distance must be
  far below that of a wrong computation, one process with half the batch);
  only rank 0 writes; killed with SIGKILL after its first checkpoint, the
  run resumes in ONE process and ends where an uninterrupted run ends;
- fit: K = 1 over two processes equals the fit in one (float32 features of
  other batch compositions, float64 sums), K = 2 runs (rank 0's start);
- score: two processes write the same maps and scores.csv as one.

    distributed_check.py CRADL WORK_FOLDER [LIBTORCH_VERSION]
"""
import gzip
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import torch

cradl, work = sys.argv[1], Path(sys.argv[2])
libtorch = sys.argv[3] if len(sys.argv) > 3 else torch.__version__
shutil.rmtree(work, ignore_errors=True)
work.mkdir(parents=True)
data = work / "data"
subprocess.run([cradl, "make-dataset", "--out", str(data), "--train", "3", "--val", "1", "--test", "2",
                "--spacing", "4", "--seed", "1"], check=True, stderr=subprocess.DEVNULL)
COMMON = ["--train", str(data / "train.csv"), "--val", str(data / "val.csv"), "--test", str(data / "test.csv"),
          "--slice-size", "64", "--nf", "4", "--nz", "16", "--warmup-epochs", "1",
          "--components", "1,2", "--threads", "1", "--mixed-precision", "0"]
# float32 training: on AVX512-BF16 CPUs the default bfloat16 autocast puts
# rounding of 2^-8 into every product, and its distance between runs
# (3.6e-4 measured) is no longer far below the wrong computation's (0.02).


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cradl_run(stage, out, *extra, log=None):
    log = log or out.parent / f"{out.name}-{stage}.log"
    batch = [] if "--batch" in extra else ["--batch", "8"]
    result = subprocess.run([cradl, stage, "--out", str(out), *COMMON, *batch, *extra], stdout=subprocess.DEVNULL,
                            stderr=open(log, "w"))
    assert result.returncode == 0, f"cradl {stage} {' '.join(extra)} failed:\n" + open(log).read()
    return open(log).read()


def weights(out):
    """The encoder's parameters and buffers that the computation determines:
    not the biases of convolutions that feed a batch norm, nor the running
    means after them (zero gradient in exact arithmetic: Adam turns its
    rounding noise into +-lr steps in any run)."""
    state = torch.load(out / "encoder.pt")["encoder"]
    kept = []
    for name, value in state.items():
        layer, _, kind = name.rpartition(".")
        prefix, _, index = layer.rpartition(".")
        feeds_norm = kind == "bias" and f"{prefix}.{int(index) + 1}.running_mean" in state
        if not feeds_norm and kind != "running_mean" and value.is_floating_point():
            kept.append(value.double().flatten())
    return torch.cat(kept)


def distance(a, b):
    return ((weights(a) - weights(b)).norm() / weights(b).norm()).item()


# Train: one process, two processes, and the wrong computation.
cradl_run("train", work / "one", "--epochs", "3")
two_log = cradl_run("train", work / "two", "--epochs", "3", "--nproc", "2")
assert "data-parallel over 2 processes, global batch 8 (4 per process)" in two_log, two_log
assert not any(line.startswith("cradl: rank 1") for line in two_log.splitlines()), two_log
cradl_run("train", work / "half", "--epochs", "3", "--batch", "4")
together, wrong = distance(work / "two", work / "one"), distance(work / "half", work / "one")
print(f"train: 2 processes vs 1: {together:.3g}; half the batch in 1 process: {wrong:.3g}")
assert together * 100 < wrong, (together, wrong)
left = [p.name for p in (work / "two").rglob("*") if ".part" in p.name or p.name.startswith("partial-")]
assert not left, left

# The same through torchrun (Debian's torch.distributed.run; its agent serves
# the store itself, TORCHELASTIC_USE_AGENT_STORE). On Python 3.11 torch 1.13
# cannot parse redirect flags of 0 or 3, hence --redirects 1 --tee 2. Its
# store must speak the protocol of cradl's LibTorch: the same major.minor.
if torch.__version__.split(".")[:2] == libtorch.split(".")[:2]:
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--redirects", "1", "--tee", "2",
                "--log_dir", str(work / "torchrun-logs"), "--master_port", str(free_port()), "--no_python"]
    result = subprocess.run([*torchrun, cradl, "train", "--out", str(work / "torchrun"), *COMMON, "--batch", "8",
                             "--epochs", "3"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert result.returncode == 0, result.stdout
    assert "data-parallel over 2 processes" in result.stdout, result.stdout
    launched = distance(work / "torchrun", work / "one")
    print(f"train under torchrun: {launched:.3g} from one process")
    assert launched * 100 < wrong, (launched, wrong)
else:
    print(f"torchrun skipped: Python's torch {torch.__version__} is not cradl's LibTorch {libtorch}, and their "
          "stores do not speak to each other")

# Killed after the first checkpoint of a 2-process run, resumed in 1 process.
killed = work / "killed"
log = open(work / "killed-train.log", "w")
launcher = subprocess.Popen([cradl, "train", "--out", str(killed), *COMMON, "--batch", "8", "--epochs", "8", "--nproc", "2"],
                            stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
deadline = time.time() + 120
while not (killed / "checkpoint.pt").exists() and launcher.poll() is None and time.time() < deadline:
    time.sleep(0.02)
assert launcher.poll() is None and not (killed / "encoder.pt").exists(), "the run ended before it could be killed"
os.killpg(launcher.pid, signal.SIGKILL)  # the launcher and both ranks
launcher.wait()
resumed_log = cradl_run("train", killed, "--epochs", "8", log=work / "killed-resume.log")
assert "resuming from its checkpoint" in resumed_log, resumed_log
cradl_run("train", work / "eight", "--epochs", "8")
cradl_run("train", work / "eight-half", "--epochs", "8", "--batch", "4")
resumed, wrong = distance(killed, work / "eight"), distance(work / "eight-half", work / "eight")
print(f"kill after a 2-process checkpoint, resume in 1: {resumed:.3g} from uninterrupted; half batch {wrong:.3g}")
assert resumed * 100 < wrong, (resumed, wrong)

# Fit: the same encoder, one process and two.
for name in ("fit-one", "fit-two"):
    (work / name).mkdir()
    shutil.copy(work / "one" / "encoder.pt", work / name / "encoder.pt")
cradl_run("fit", work / "fit-one")
cradl_run("fit", work / "fit-two", "--nproc", "2")
for K in (1, 2):
    one = torch.load(work / "fit-one" / "candidates" / f"mixture-K{K}.pt")
    two = torch.load(work / "fit-two" / "candidates" / f"mixture-K{K}.pt")
    assert one["fit"]["samples"] == two["fit"]["samples"], (one["fit"]["samples"], two["fit"]["samples"])
    if K == 2:
        assert torch.isfinite(torch.tensor(two["fit"]["bic"])), two["fit"]
        continue
    # Features are float32 (the same slices in batches of other sizes: a few
    # u32 apart); means and covariances are float64 sums of them, so they
    # agree to float32 rounding, far inside 1e-5.
    for part in ("feature_mean", "feature_std"):
        a, b = one[part], two[part]
        assert ((a - b).abs().max() / b.abs().max()).item() < 1e-5, part
    # The mixture lives on standardised features (unit spread): absolute.
    for part in ("means", "covariances"):
        gap = (one[part] - two[part]).abs().max().item()
        print(f"fit K=1 {part}: 2 processes vs 1: {gap:.3g}")
        assert gap < 1e-5, (part, gap)
    # The patch density's pooled Gaussians: float64 sums of float32 features too.
    for layer in ("layer_0", "layer_1"):
        for part in ("mean", "covariance"):
            a, b = one["patch_density"][layer][part], two["patch_density"][layer][part]
            relative = ((a - b).abs().max() / b.abs().max()).item()
            assert relative < 1e-5, (layer, part, relative)

# Score: the same models, one process and two: the same files.
cradl_run("select", work / "fit-one")  # OUT/mixture.pt for scoring
for name in ("score-one", "score-two"):
    (work / name).mkdir()
    for model in ("encoder.pt", "mixture.pt"):
        shutil.copy(work / "fit-one" / model, work / name / model)
cradl_run("score", work / "score-one")
cradl_run("score", work / "score-two", "--nproc", "2")
maps = sorted((work / "score-one" / "maps").rglob("*.nii.gz"))
assert len(maps) >= 4, maps
for path in maps:
    other = work / "score-two" / path.relative_to(work / "score-one")
    assert gzip.open(path).read() == gzip.open(other).read(), f"{other} differs"
assert (work / "score-one" / "scores.csv").read_text() == (work / "score-two" / "scores.csv").read_text()
print(f"score: {len(maps)} maps and scores.csv identical")

# Start-up against a port that another program serves: a rank that reaches it
# gives up within the timeout and says so; rank 0, unable to serve there, says
# so in one line, without LibTorch's own log lines (shown with --verbose).
silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(8)  # accepts connections, never answers
port = str(silent.getsockname()[1])
for rank, expected in (("1", "no c10d store answered there within 3 s"), ("0", "the port is in use")):
    environment = {**os.environ, "WORLD_SIZE": "2", "RANK": rank, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port,
                   "CRADL_DISTRIBUTED_TIMEOUT": "3"}
    started = time.time()
    result = subprocess.run([cradl, "train", "--out", str(work / "foreign"), *COMMON, "--batch", "8"],
                            env=environment, capture_output=True, text=True, timeout=60)
    took = time.time() - started
    assert result.returncode == 1 and expected in result.stderr, result.stderr
    assert "[c10d]" not in result.stderr and "InitGoogleLogging" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert took < 3 + 15, f"rank {rank} took {took:.1f} s with a 3 s timeout"
    print(f"rank {rank} at a port another program serves: exit 1 after {took:.1f} s: {result.stderr.strip()}")
silent.close()
