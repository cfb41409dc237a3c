"""What a `cradl run` output folder holds, for the reliability checks
(kill_resume_check.py, write_faults_check.py): whether each file under its
final name is whole, the temporaries an interrupted write leaves, and the
comparison of two runs' outputs (what may differ: times, the run's folder)."""
import gzip
import io
import json
import zipfile

import numpy
import torch


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
        return path.read_text().endswith("\n")
    if name.endswith(".png"):
        return path.read_bytes()[-12:-8] == b"\0\0\0\0" and path.read_bytes()[-8:-4] == b"IEND"
    if name.endswith(".html"):
        return path.read_text().rstrip().endswith("</html>")
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


def comparable(out):
    """The outputs two runs of the same settings must agree on: all but the
    settings records (they name their own folder) and the report page (a view
    of the compared files, with the run's folder and times in it)."""
    return {p.relative_to(out) for p in finals(out)
            if p.name not in ("config.json", "index.html") and ".cradl" not in p.relative_to(out).parts}


def same_output(a, b):
    """Whether files `a` and `b` (one output of two runs) hold the same result."""
    if a.name == "checkpoint.pt":
        x, y = torch.load(a), torch.load(b)
        # LibTorch serialises Adam's state in the order of a hash map keyed
        # by tensor addresses: the same tensors, in another order.
        x["optimizer"], y["optimizer"] = optimizer_tensors(x["optimizer"]), optimizer_tensors(y["optimizer"])
        return same(x, y)
    if a.name == "metrics.json":
        x, y = json.loads(a.read_text()), json.loads(b.read_text())
        for run_specific in ("config", "stage_seconds"):
            x.pop(run_specific, None), y.pop(run_specific, None)
        return x == y
    if a.name == "report.json":
        x, y = json.loads(a.read_text()), json.loads(b.read_text())
        x.pop("evaluate", None), y.pop("evaluate", None)  # its time and machine
        return x == y
    return a.read_bytes() == b.read_bytes()


def differences(out, reference):
    """The outputs of `out` that are missing, extra or not the same as `reference`'s."""
    mine, theirs = comparable(out), comparable(reference)
    found = [f"only in {reference}: {p}" for p in sorted(theirs - mine)] + \
            [f"only in {out}: {p}" for p in sorted(mine - theirs)]
    found += [f"differs: {p}" for p in sorted(mine & theirs) if not same_output(out / p, reference / p)]
    return found
