"""The stages in Python: train_encoder, fit_mixture, select_mixture and
run (the tool's main job), each with its settings from the declarations
(settings()), and ITK's object spelling of the stages that are not image
filters (ContrastiveEncoderTrainer, GaussianMixtureFitter, MixtureModelSelector)."""
from . import _cradl
from ._filters import (_DECLARED, _DEFAULTS, _SCORING, ContrastiveEncoderModel, GaussianMixtureModel, _settings,
                       _snake)
from ._images import mask_to_native, to_native


def _scan_pairs(scans, role):
    """[(scan, mask or None)] as module images; a bare scan has no mask."""
    pairs = []
    for item in scans:
        scan, mask = item if isinstance(item, (tuple, list)) else (item, None)
        pairs.append((to_native(scan, role), mask_to_native(mask, role + " mask", scan)))
    return pairs


def train_encoder(training, validation=(), progress=None, **settings):
    """Trains the contrastive encoder (the `cradl train` stage) on healthy 3D
    scans: `training` and `validation` are lists of scans or (scan, mask)
    pairs. Settings: the keywords listed below. `progress(report)` is called after every step and epoch with a
    dict (epoch, step, steps_per_epoch, loss, learning_rate,
    views_per_second, validation_loss, progress); returning False stops
    training (cradl.Error, resumable from `checkpoint`), and an exception it
    raises (or Ctrl-C) stops training and propagates."""
    native = _cradl.train(_scan_pairs(training, "training scan"), _scan_pairs(validation, "validation scan"),
                          dict(settings), progress)
    return ContrastiveEncoderModel(native)


def fit_mixture(encoder, scans, **settings):
    """Fits the Gaussian mixture and the patch density (the `cradl fit`
    stage) to the encoder's representations of healthy scans (scans or
    (scan, mask) pairs). Settings: the keywords listed below. Returns
    {"model": select_mixture's choice without labelled scans (lowest BIC),
    "candidates": [{components, iterations, converged, mean_log_likelihood,
    bic, model}]}."""
    result = _cradl.fit_mixture(encoder._native, _scan_pairs(scans, "scan"), dict(settings))
    result["model"] = GaussianMixtureModel(result["model"])
    for row in result["candidates"]:
        row["model"] = GaussianMixtureModel(row["model"])
    return result


def _describe_settings(declared):
    """Docstring lines for declared settings: key (default; range): help."""
    lines = ["", "", "    Settings (keyword = default: help; ITK name):"]
    for key, row in declared.items():
        lines.append(f"      {key} = {row['default']!r}: {row['help']}; {row['name']}")
    return "\n".join(lines)


train_encoder.__doc__ += _describe_settings(_DECLARED["trainer"])
fit_mixture.__doc__ += _describe_settings(_DECLARED["fitter"])


def select_mixture(encoder, candidates, validation, modes=("gradient", "patch", "fused"),
                   sigmas=_DEFAULTS["select_sigmas"], median_radius=_SCORING["median_radius"],
                   gaussian_radius=_SCORING["gaussian_radius"], device="cpu", batch_size=_SCORING["batch_size"]):
    """Chooses the mixture, the map and the post-processing sigma by pixel
    AUPRC on labelled validation scans (the `cradl select` stage):
    `validation` is a list of (scan, mask, label). Returns {"model": the
    chosen mixture (records the choice), "rows": every (K, mode, sigma) row
    with its validation_auprc, "selected_index", "settings"}."""
    natives = [(to_native(scan, "validation scan"), mask_to_native(mask, "validation mask", scan),
                mask_to_native(label, "validation label", scan)) for scan, mask, label in validation]
    settings = _settings({"Device": device, "BatchSize": batch_size, "MixedPrecision": False,
                          "MedianRadius": median_radius, "GaussianRadius": gaussian_radius}, "gradient")
    result = _cradl.select_mixture(encoder._native, [c._native for c in candidates], natives, settings,
                                   list(modes), [float(s) for s in sigmas])
    result["model"] = GaussianMixtureModel(result["model"])
    return result


def settings(stage="run"):
    """The settings of a stage, as a list of dicts (key, default, range or
    choices, help): "trainer" (train_encoder's keywords, with each one's
    ContrastiveEncoderTrainer name), "fitter" (fit_mixture's), "scoring"
    (ScoringSettings' fields) or "run" (run's keywords, the table `cradl
    settings` prints)."""
    import json

    if stage == "run":
        return json.loads(_cradl.run_settings_json())
    if stage not in _DECLARED:
        raise ValueError(f"settings: stage must be 'run', 'trainer', 'fitter' or 'scoring', got {stage!r}")
    return [dict(row) for row in _DECLARED[stage].values()]


def run(config=None, force=False, **settings):
    """The whole main job over manifests, as `cradl run` (the same code):
    train, fit, select, score and evaluate into `out`, skipping finished
    stages. `config` is a JSON config file (e.g. examples/demo-config.json);
    settings are `cradl run`'s JSON keys (train, val, test, out, epochs, nf,
    score_mode, ...) and override it. Returns metrics.json's content."""
    import json
    import pathlib

    text = pathlib.Path(config).read_text() if config is not None else ""
    return json.loads(_cradl.run_pipeline(text, json.dumps(settings), bool(force)))


class _Stage:
    """ITK's object spelling of a stage that is not an image filter: Add*
    for its scans, Set<Name>(value) for its settings (the C++ class's names,
    or the CamelCase of the functional form's keywords), Update(),
    GetOutput(). `_declared`: the stage's declared settings (key -> row);
    `_settings`: its other keywords."""

    _declared = {}
    _settings = ()

    def __init__(self):
        self._values = {}
        self._output = None

    @classmethod
    def New(cls, **settings):
        obj = cls()
        for key, value in settings.items():
            obj._set(key, value)
        return obj

    @classmethod
    def _key(cls, name):
        """The keyword of `name`: a key, an ITK name (NumberOfFilters -> nf) or its CamelCase (Nf -> nf)."""
        by_itk_name = {row["name"]: key for key, row in cls._declared.items()}
        if name in by_itk_name:
            return by_itk_name[name]
        return _snake(name) if name[:1].isupper() else name

    def _set(self, key, value):
        name = self._key(key)
        known = (*self._declared, *self._settings)
        if name not in known:
            raise TypeError(f"{type(self).__name__} has no setting '{key}' (it has: {', '.join(known)})")
        self._values[name] = value
        self._output = None

    def _get(self, name):
        default = self._declared[name]["default"] if name in self._declared else None
        return self._values.get(name, default)

    def __getattr__(self, attribute):
        if attribute.startswith(("Set", "Get")) and len(attribute) > 3:
            name = type(self)._key(attribute[3:])
            if name in type(self)._declared or name in type(self)._settings:
                if attribute.startswith("Set"):
                    return lambda value: self._set(name, value)
                return lambda: self._get(name)
        raise AttributeError(f"{type(self).__name__} has no attribute '{attribute}'")

    def GetOutput(self):
        if self._output is None:
            self.Update()
        return self._output


class ContrastiveEncoderTrainer(_Stage):
    """`train_encoder` in ITK's object spelling: AddTrainingScan(scan, mask),
    AddValidationScan(scan, mask), Set<Setting>, SetProgressCallback(f),
    Update(), GetOutput() -> ContrastiveEncoderModel."""

    _declared = _DECLARED["trainer"]

    def __init__(self):
        super().__init__()
        self._training, self._validation, self._progress = [], [], None

    def AddTrainingScan(self, scan, mask=None):
        self._training.append((scan, mask))

    def AddValidationScan(self, scan, mask=None):
        self._validation.append((scan, mask))

    def SetProgressCallback(self, progress):
        self._progress = progress

    def Update(self):
        self._output = train_encoder(self._training, self._validation, progress=self._progress, **self._values)


class GaussianMixtureFitter(_Stage):
    """`fit_mixture` in ITK's object spelling: SetEncoder(model),
    AddScan(scan, mask), Set<Setting>, Update(), GetOutput() (the
    selector's choice without labelled scans: lowest BIC), GetCandidates()."""

    _declared = _DECLARED["fitter"]

    def __init__(self):
        super().__init__()
        self._encoder, self._scans, self._candidates = None, [], []

    def SetEncoder(self, encoder):
        self._encoder = encoder

    def AddScan(self, scan, mask=None):
        self._scans.append((scan, mask))

    def Update(self):
        if self._encoder is None:
            raise ValueError("GaussianMixtureFitter: SetEncoder first")
        result = fit_mixture(self._encoder, self._scans, **self._values)
        self._output, self._candidates = result["model"], result["candidates"]

    def GetCandidates(self):
        self.GetOutput()
        return self._candidates


class MixtureModelSelector(_Stage):
    """`select_mixture` in ITK's object spelling: SetEncoder(model),
    AddCandidate(mixture), AddValidationScan(scan, mask, label),
    Set<Setting>, Update(), GetOutput() (the chosen mixture, which records
    its mode and sigma), GetCandidates() (every row)."""

    _settings = ("modes", "sigmas", "median_radius", "gaussian_radius", "device", "batch_size")

    def __init__(self):
        super().__init__()
        self._encoder, self._mixtures, self._validation, self._rows = None, [], [], []

    def SetEncoder(self, encoder):
        self._encoder = encoder

    def AddCandidate(self, mixture):
        self._mixtures.append(mixture)

    def AddValidationScan(self, scan, mask, label):
        self._validation.append((scan, mask, label))

    def Update(self):
        if self._encoder is None:
            raise ValueError("MixtureModelSelector: SetEncoder first")
        result = select_mixture(self._encoder, self._mixtures, self._validation, **self._values)
        self._output, self._rows = result["model"], result["rows"]

    def GetCandidates(self):
        self.GetOutput()
        return self._rows
