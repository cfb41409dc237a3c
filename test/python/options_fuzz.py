"""A property test of the tool's settings: random values and types, through
flags and through JSON config files, on tiny data. Whatever the values, the
tool must end with exit 0, or exit 1 with one clear `cradl: ` line (or
CLI11's own message for a malformed flag): never a signal, a hang, an
uncaught C++ exception or a sanitizer report.

    options_fuzz.py CRADL WORK [--seconds S] [--jobs J] [--seed N]

The settings, their types and ranges come from `cradl settings`, so a new
setting is fuzzed without touching this file. Values are drawn at the edges
of each range, beyond them, of other types, and as garbage text; settings
that decide the cost (network, epochs, batch, components) stay cheap when
they are valid, so that a slow run means a hang, not a big job.
"""
import argparse
import json
import math
import random
import re
import shutil
import subprocess
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

arguments = argparse.ArgumentParser()
arguments.add_argument("cradl")
arguments.add_argument("work", type=Path)
arguments.add_argument("--seconds", type=float, default=60)
arguments.add_argument("--jobs", type=int, default=2)
arguments.add_argument("--seed", type=int, default=0)
arguments.add_argument("--refusals", action="store_true", help="print each kind of refusal once")
options = arguments.parse_args()
HANG = 180  # seconds: tiny data and cheap settings run in a few
# Valid values of these are kept small: each decides how long a run takes.
CHEAP = {"nf": 8, "nz": 64, "epochs": 3, "batch": 64, "warmup_epochs": 5, "components": 8, "slice_size": 64,
         "patch_grid": 16, "patch_depth_bins": 8}
FIXED = {"train", "val", "test", "out"}  # paths: fuzzed separately
BASE = {"slice_size": 64, "nf": 4, "nz": 16, "epochs": 1, "batch": 8, "warmup_epochs": 1, "components": [1],
        "threads": 1, "select_sigmas": [1.0]}
SIGNS_OF_A_CRASH = ("terminate called", "Segmentation fault", "Aborted", "AddressSanitizer", "runtime error:",
                    "core dumped", "Exception raised from", "frame #")


def edge_values(setting, generator):
    """Values at and past the edges of `setting`'s range, and of other types."""
    kind = setting["type"]
    low, high = setting.get("minimum", 0), setting.get("maximum", 0)
    if kind == "string":
        choices = setting.get("choices") or []
        return [*choices, "", "x" * 5000, "cuda:99999999999", "cuda:-1", "\u00e9\u0000", "../../etc", 7, None]
    if kind == "boolean":
        return [True, False, 0, 1, "true", None, [True]]
    number = [low, high, low - 1, high + 1, -1, 0, 2 ** 31, 2 ** 32, 2 ** 64, 1e308, -1e308, 0.5, 1e-300,
              generator.uniform(low, min(high, low + 100))]
    if kind in ("integer", "number"):
        return number + ["3", None, [1], {"a": 1}, True]
    return [[v] for v in number] + [[], [1, 2, 3, 1, 2, 3, 1, 2], "1,2", [None], [[1]], 3]


def valid(setting, value):
    """Whether the table accepts `value` (type and range): valid values are
    drawn as often as invalid ones, since those are the ones that run."""
    kind, low, high = setting["type"], setting.get("minimum", 0), setting.get("maximum", 0)

    def number_in_range(v, integer):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
            return False
        return (v >= low if setting.get("minimum_allowed", True) else v > low) and v <= high

    if kind == "string":
        return isinstance(value, str) and (not setting.get("choices") or value in setting["choices"])
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("integer", "number"):
        return number_in_range(value, kind == "integer")
    return isinstance(value, list) and (kind == "numbers" or len(value) > 0) and \
        all(number_in_range(v, kind == "integers") for v in value)


def cheap(key, value):
    """Whether a value of a cost-deciding setting is small enough to run fast."""
    if key not in CHEAP:
        return True
    values = value if isinstance(value, list) else [value]
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return all(not (0 < v <= 1e9) or v <= CHEAP[key] for v in numbers) and len(values) <= 4


def draw_case(table, generator, data):
    settings = dict(BASE)
    for setting in generator.sample(table, generator.randint(1, 3)):
        key = setting["key"]
        if key in FIXED:
            continue
        values = [v for v in edge_values(setting, generator) if cheap(key, v)]
        accepted = [v for v in values if valid(setting, v)]
        refused = [v for v in values if not valid(setting, v)]
        settings[key] = generator.choice(accepted if accepted and (generator.random() < 0.7 or not refused)
                                         else refused)
    manifests = {"train": data / "train.csv", "val": data / "val.csv", "test": data / "test.csv"}
    if generator.random() < 0.05:
        manifests[generator.choice(list(manifests))] = data / generator.choice(["missing.csv", "images"])
    return settings, manifests


def flag_text(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return ",".join(flag_text(v) for v in value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return str(value).replace("\0", "")  # argv cannot carry a NUL; JSON files do


def run_case(number, table, seed, data):
    generator = random.Random(seed)
    settings, manifests = draw_case(table, generator, data)
    out = options.work / f"case-{number}"
    shutil.rmtree(out, ignore_errors=True)
    command = generator.choice(["run"] * 6 + ["train", "fit", "select", "score", "evaluate"])
    args = [options.cradl, command, "--out", str(out)]
    args += [arg for name, path in manifests.items() for arg in (f"--{name}", str(path))]
    flags = {s["key"]: s["flag"] for s in table}
    if generator.random() < 0.5:
        config = options.work / f"case-{number}.json"
        text = json.dumps(settings)
        if generator.random() < 0.1:  # malformed text: cut short or a key twice
            text = generator.choice([text[: generator.randrange(len(text))], text[:-1] + ', "epochs": 1}'])
        config.write_text(text)
        args += ["--config", str(config)]
    else:
        for key, value in settings.items():
            args += [flags[key], flag_text(value)]
    started = time.time()
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=HANG)
    except subprocess.TimeoutExpired:
        return number, "hang", args, f"no end after {HANG} s"
    seconds = time.time() - started
    problem = None
    if result.returncode < 0:
        problem = f"signal {-result.returncode}"
    elif any(sign in result.stderr for sign in SIGNS_OF_A_CRASH):
        problem = "a crash's or an uncaught exception's text"
    elif result.returncode == 1:
        last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
        if not last.startswith("cradl: "):
            problem = f"exit 1 without a 'cradl: ' line: {last!r}"
    elif result.returncode != 0 and not (100 <= result.returncode <= 130 and result.stderr.strip()):
        problem = f"exit {result.returncode}"  # CLI11's parse errors exit 100+ with a message
    shutil.rmtree(out, ignore_errors=True)
    last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    return number, problem or ("ok" if result.returncode == 0 else "refused"), args, \
        (result.stderr[-3000:] if problem else last if result.returncode else f"{seconds:.1f} s")


def main():
    shutil.rmtree(options.work, ignore_errors=True)
    options.work.mkdir(parents=True)
    data = options.work / "data"
    subprocess.run([options.cradl, "make-dataset", "--out", str(data), "--train", "2", "--val", "1", "--test", "1",
                    "--spacing", "4", "--seed", "2"], check=True, capture_output=True)
    table = json.loads(subprocess.run([options.cradl, "settings"], capture_output=True, text=True, check=True).stdout)
    deadline = time.time() + options.seconds
    outcomes, failures, refusals = {}, [], {}
    started = time.time()
    with ThreadPoolExecutor(options.jobs) as pool:
        number, pending = 0, set()
        while time.time() < deadline or pending:
            while time.time() < deadline and len(pending) < options.jobs:
                pending.add(pool.submit(run_case, number, table, options.seed * 1_000_003 + number, data))
                number += 1
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                case, outcome, args, detail = future.result()
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                if outcome not in ("ok", "refused"):
                    failures.append((case, outcome, " ".join(args), detail))
                elif outcome == "refused":
                    refusals.setdefault(re.sub(r"case-\d+|-?[0-9][0-9.e+-]*", "#", detail)[:150],
                                        f"{detail}\n    {' '.join(args)}")
    busy = (time.time() - started) * options.jobs
    print(f"options fuzz: {sum(outcomes.values())} runs in {busy / 60:.1f} CPU-minutes (seed {options.seed}): "
          + ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items())))
    if options.refusals:
        print("\n".join(sorted(refusals.values())))
    for case, outcome, command, detail in failures:
        print(f"case {case}: {outcome}\n  {command}\n{detail}")
    assert not failures, f"{len(failures)} runs crashed or hung"


main()
