"""The module's filters in ITK Python's two spellings: objects
(`Filter.New(image, **parameters)`, `Set<Name>`/`Get<Name>`, `Update()`,
`GetOutput()`) and functions (`filter_name(image, **parameters)`)."""
import re

import numpy as np

from . import _cradl
from ._images import as_kind, from_native, geometry_of, is_itk_image, mask_to_native, to_native


def _camel(name):
    """snake_case or CamelCase -> CamelCase (ITK's setter names)."""
    if "_" not in name and name[:1].isupper():
        return name
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


# The library's defaults (cradlDefaults.h) and the stages' declared settings
# (cradlSettingDeclarations.h): every default below comes from there.
_DEFAULTS = _cradl.defaults
_DECLARED = {stage: {row["key"]: row for row in rows} for stage, rows in _cradl.setting_declarations.items()}
_SCORING = {key: row["default"] for key, row in _DECLARED["scoring"].items()}
_CASTS = {"integer": int, "number": float, "boolean": bool, "string": str}


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class _ProcessObject:
    """Images in `_inputs` (the first is positional: the filter's input),
    parameters in `_parameters` (CamelCase name -> default); `_aliases` maps
    extra keyword names to them; `_ranges` (name -> (lowest, highest)) are
    refused past, when set, as the C++ setters do. Subclasses implement `_run()`."""

    _inputs = ("Input",)
    _parameters = {}
    _aliases = {}
    _ranges = {}

    def __init__(self):
        self._images = {name: None for name in self._inputs}
        self._values = dict(self._parameters)
        self._outputs = None

    @classmethod
    def New(cls, *inputs, **parameters):
        if len(inputs) > len(cls._inputs):
            raise TypeError(f"{cls.__name__}.New takes at most {len(cls._inputs)} images, got {len(inputs)}")
        obj = cls()
        for name, image in zip(cls._inputs, inputs):
            obj._images[name] = image
        for key, value in parameters.items():
            obj._set(key, value)
        return obj

    def _set(self, key, value):
        name = self._aliases.get(key, _camel(key))
        if name in self._images:
            self._images[name] = value
        elif name in self._values:
            if name in self._ranges:
                lowest, highest = self._ranges[name]
                if not lowest <= value <= highest:
                    raise ValueError(f"{type(self).__name__}: {name} must be from {lowest} to {highest}, got {value}")
            self._values[name] = value
        else:
            known = ", ".join(_snake(n) for n in (*self._inputs, *self._parameters))
            raise TypeError(f"{type(self).__name__} has no input or parameter '{key}' (it has: {known})")
        self._outputs = None

    def __getattr__(self, attribute):
        if attribute.startswith(("Set", "Get")) and len(attribute) > 3:
            name = attribute[3:]
            known = name in self.__dict__.get("_images", {}) or name in self.__dict__.get("_values", {})
            if known and attribute.startswith("Set"):
                return lambda value: self._set(name, value)
            if known:
                return lambda: self._images[name] if name in self._images else self._values[name]
        raise AttributeError(f"{type(self).__name__} has no attribute '{attribute}'")

    def SetInput(self, image):
        self._set(self._inputs[0], image)

    def GetInput(self):
        return self._images[self._inputs[0]]

    def Update(self):
        image = self._images[self._inputs[0]]
        if image is None:
            raise ValueError(f"{type(self).__name__}: set the input image first")
        self._outputs = self._run()

    def GetOutput(self, index=0):
        if self._outputs is None:
            self.Update()
        return self._outputs[index]

    # Helpers for _run().
    def _native(self, name, mask=False):
        image = self._images[name]
        if mask:
            return mask_to_native(image, name, beside=self._images[self._inputs[0]])
        return None if image is None else to_native(image, name)

    def _like_input(self, native):
        return from_native(native, self._images[self._inputs[0]])


def _functional(cls):
    """ITK Python's functional spelling of `cls`: the first output."""

    def call(*inputs, **parameters):
        return cls.New(*inputs, **parameters).GetOutput()

    call.__name__ = _snake(cls.__name__)
    call.__doc__ = f"Functional form of {cls.__name__}: {cls.__name__}.New(*inputs, **parameters).GetOutput()."
    return call


class MedianGaussianPostprocessImageFilter(_ProcessObject):
    """The paper's post-processing: the map masked to the brain, a median of
    radius MedianRadius, then a Gaussian of GaussianSigma (pixels), in each
    axial slice."""

    _inputs = ("Input", "MaskImage")
    _parameters = {"MedianRadius": _SCORING["median_radius"], "GaussianSigma": _SCORING["gaussian_sigma"],
                   "GaussianRadius": _SCORING["gaussian_radius"]}
    _aliases = {"mask": "MaskImage", "sigma": "GaussianSigma"}
    _ranges = {row["name"]: tuple(map(_CASTS[row["type"]], (row["minimum"], row["maximum"])))
               for row in _DECLARED["scoring"].values()
               if row["name"] in ("MedianRadius", "GaussianSigma", "GaussianRadius")}

    def _run(self):
        v = self._values
        out = _cradl.postprocess(self._native("Input"), self._native("MaskImage", mask=True), int(v["MedianRadius"]),
                                 float(v["GaussianSigma"]), int(v["GaussianRadius"]))
        return [self._like_input(out)]


class IntensityZScoreImageFilter(_ProcessObject):
    """The intensity baseline: |x - mean| / std inside the brain, 0 outside."""

    _inputs = ("Input", "MaskImage")
    _aliases = {"mask": "MaskImage"}

    def _run(self):
        return [self._like_input(_cradl.intensity_zscore(self._native("Input"), self._native("MaskImage", mask=True)))]


class CradlPreprocessImageFilter(_ProcessObject):
    """Onto CRADL's slice grid: z-score in the brain, each slice resampled to
    SliceSize, clipped. Output 0: the slices; output 1 (GetMaskOutput()): the
    brain on the slice grid. Both keep the scan's place in physical space."""

    _inputs = ("Input", "MaskImage")
    _parameters = {"SliceSize": 128, "ClipMinimum": -1.5, "ClipMaximum": 1.5, "PreserveAspectRatio": True}
    _aliases = {"mask": "MaskImage"}

    def _run(self):
        v = self._values
        slices, mask = _cradl.preprocess(self._native("Input"), self._native("MaskImage", mask=True),
                                         int(v["SliceSize"]), float(v["ClipMinimum"]), float(v["ClipMaximum"]),
                                         bool(v["PreserveAspectRatio"]))
        return [self._like_input(slices), self._like_input(mask)]

    def GetMaskOutput(self):
        return self.GetOutput(1)


class SliceMapToScanImageFilter(_ProcessObject):
    """A map on the slice grid back onto the scan's grid (ReferenceImage),
    0 outside MaskImage when given."""

    _inputs = ("Input", "ReferenceImage", "MaskImage")
    _aliases = {"mask": "MaskImage", "reference": "ReferenceImage", "reference_image": "ReferenceImage"}

    def _run(self):
        reference = self._images["ReferenceImage"]
        if reference is None:
            raise ValueError("SliceMapToScanImageFilter: set the reference image (the scan) first")
        out = _cradl.slice_map_to_scan(self._native("Input"), to_native(reference, "reference"),
                                       mask_to_native(self._images["MaskImage"], "mask", beside=reference))
        return [from_native(out, reference)]


class _ModelFile:
    """A model file's contents; its figures are the compiled model's properties."""

    _native_class = None

    def __init__(self, native):
        self._native = native

    @classmethod
    def load(cls, path):
        return cls(cls._native_class.load(str(path)))

    Load = load

    def save(self, path):
        self._native.save(str(path))

    def __getattr__(self, name):
        return getattr(self.__dict__["_native"], name)


class ContrastiveEncoderModel(_ModelFile):
    """A trained encoder (`cradl train`'s encoder.pt)."""

    _native_class = _cradl.EncoderModel

    def torch_module(self, path):
        """The encoder as a torch.nn.Module (eval mode), read from its file with PyTorch."""
        from .torch_model import load_encoder

        return load_encoder(str(path))[0]


class GaussianMixtureModel(_ModelFile):
    """A fitted mixture (`cradl fit`/`select`'s mixture.pt)."""

    _native_class = _cradl.MixtureModel


def _settings(values, mode):
    """A ScoringSettings of `mode` from CamelCase values (Device, BatchSize, ...: the declared names); the
    ones not given keep the module's defaults (the raw-map filters leave post-processing at them)."""
    settings = _cradl.ScoringSettings()
    settings.mode = mode
    for row in _cradl.setting_declarations["scoring"]:
        if row["name"] in values:
            setattr(settings, row["key"], _CASTS[row["type"]](values[row["name"]]))
    return settings


class _EncoderScoreFilter(_ProcessObject):
    _inputs = ("Input", "MaskImage")
    _parameters = {"Encoder": None, "Mixture": None, "Device": "cpu", "BatchSize": _SCORING["batch_size"],
                   "MixedPrecision": False}
    _aliases = {"mask": "MaskImage"}
    _mode = None

    def _run(self):
        encoder, mixture = self._values["Encoder"], self._values["Mixture"]
        if encoder is None or mixture is None:
            raise ValueError(f"{type(self).__name__}: set the encoder and the mixture (ContrastiveEncoderModel.load, "
                             "GaussianMixtureModel.load) first")
        raw, slice_nll = _cradl.raw_map(encoder._native, mixture._native, self._native("Input"),
                                        self._native("MaskImage", mask=True), _settings(self._values, self._mode))
        self.slice_nll = np.asarray(slice_nll)
        return [self._like_input(raw)]

    def GetSliceNLL(self):
        self.GetOutput()
        return self.slice_nll


class RepresentationNLLGradientImageFilter(_EncoderScoreFilter):
    """The paper's map: |d(-log p(f(x)))/dx| of each slice, on the scan's grid
    (before post-processing), for a volume or a single 2D slice."""

    _mode = "gradient"


class RepresentationPatchDensityImageFilter(_EncoderScoreFilter):
    """The patch map: standardised Mahalanobis distances of the encoder's
    feature vectors under the healthy patch density (by position cell; a
    single 2D slice, whose depth is unknown, under the pooled Gaussian), on
    the scan's grid (before post-processing)."""

    _mode = "patch"


def score_scan(scan, mask=None, *, encoder, mixture, mode=None, sigma=None, median_radius=_SCORING["median_radius"],
               gaussian_radius=_SCORING["gaussian_radius"], device="cpu", batch_size=_SCORING["batch_size"],
               mixed_precision=False):
    """The whole scoring recipe (the `cradl score` stage): the map of `mode`
    ("gradient", "patch", "fused"; default the mixture's selected mode, else
    "gradient"), post-processed with `sigma` (default the mixture's selected
    sigma, else 3). Returns a dict: anomaly_map, raw_map (scan grid),
    slice_map (slice grid), slice_nll, components (fused: each map)."""
    mode = mode or mixture.selected_scoring_mode or "gradient"
    if sigma is None:
        sigma = mixture.selected_gaussian_sigma if mixture.selected_gaussian_sigma > 0 else _SCORING["gaussian_sigma"]
    values = {"Device": device, "BatchSize": batch_size, "MixedPrecision": mixed_precision,
              "MedianRadius": median_radius, "GaussianSigma": sigma, "GaussianRadius": gaussian_radius}
    result = _cradl.score(encoder._native, mixture._native, to_native(scan, "scan"), mask_to_native(mask, "mask", scan),
                          _settings(values, mode))
    return {
        "anomaly_map": from_native(result["anomaly_map"], scan),
        "raw_map": from_native(result["raw_map"], scan),
        "slice_map": from_native(result["slice_map"], scan),  # on the slice grid, the scan's kind
        "slice_nll": np.asarray(result["slice_nll"]),
        "components": {name: from_native(image, scan) for name, image in result["components"].items()},
    }


def pixel_metrics(maps, labels, masks=None, restrict_to_mask=False):
    """AUPRC, AUROC, FPR at 95% TPR and the best Dice over the pooled pixels
    of 3D maps and labels (non-zero = anomalous); with `restrict_to_mask`,
    only pixels inside `masks` count."""
    maps = list(maps)
    labels = list(labels)
    natives = [to_native(m, "map") for m in maps]
    native_labels = [mask_to_native(l, "label", m) for l, m in zip(labels, maps)]
    native_masks = [] if masks is None else [mask_to_native(k, "mask", m) for k, m in zip(masks, maps)]
    return _cradl.pixel_metrics(natives, native_labels, native_masks, bool(restrict_to_mask))


def make_subject(index, with_anomalies=True, seed=0, spacing=2.0):
    """One subject of the default data set (a warped Colin27 brain, Debian's
    mricron-data): ImageArrays image, mask, label and kinds."""
    subject = _cradl.make_subject(int(index), bool(with_anomalies), int(seed), float(spacing))
    return {name: as_kind(image, as_itk=False) for name, image in subject.items()}


def anomaly_kind_names():
    """Names of the anomaly kinds, kind code 1 first."""
    return list(_cradl.anomaly_kind_names())


median_gaussian_postprocess_image_filter = _functional(MedianGaussianPostprocessImageFilter)
intensity_z_score_image_filter = _functional(IntensityZScoreImageFilter)
cradl_preprocess_image_filter = _functional(CradlPreprocessImageFilter)
slice_map_to_scan_image_filter = _functional(SliceMapToScanImageFilter)
representation_nll_gradient_image_filter = _functional(RepresentationNLLGradientImageFilter)
representation_patch_density_image_filter = _functional(RepresentationPatchDensityImageFilter)


class AnomalyMapFusionImageFilter(_ProcessObject):
    """Standardised maps averaged: each map (SetMap(i, map), or the images
    given to New) standardised on the scan's brain by its median and
    interquartile range; outside the brain the smallest value inside."""

    _inputs = ("Input", "MaskImage")
    _aliases = {"mask": "MaskImage"}

    @classmethod
    def New(cls, *maps, **parameters):
        obj = cls()
        obj._maps = list(maps)
        obj._images["Input"] = maps[0] if maps else None
        for key, value in parameters.items():
            obj._set(key, value)
        return obj

    def SetMap(self, index, image):
        maps = getattr(self, "_maps", [])
        maps.extend([None] * (index + 1 - len(maps)))
        maps[index] = image
        self._maps = maps
        self._images["Input"] = maps[0]
        self._outputs = None

    def _run(self):
        if any(image is None for image in self._maps):
            raise ValueError("AnomalyMapFusionImageFilter: set every map from 0 up")
        natives = [to_native(image, f"map {i}") for i, image in enumerate(self._maps)]
        return [self._like_input(_cradl.fuse(natives, self._native("MaskImage", mask=True)))]


def label_free_threshold(maps, masks, labels=None, quantile=_DEFAULTS["threshold_quantile"]):
    """The label-free threshold: the `quantile` of the healthy pixels of
    validation maps (inside each mask, outside each label when given)."""
    maps = list(maps)
    labels = [None] * len(maps) if labels is None else list(labels)
    return _cradl.label_free_threshold([to_native(m, "map") for m in maps],
                                       [mask_to_native(k, "mask", m) for k, m in zip(masks, maps)],
                                       [mask_to_native(l, "label", m) for l, m in zip(labels, maps)], float(quantile))


def evaluate(scans, threshold=None, kinds=True):
    """What `cradl evaluate` reports for any maps: `scans` is a list of dicts
    with name, scan, mask, label, anomaly_map, slice_scores and (optional)
    kinds (the kind code of each label voxel). Returns metrics.json's
    groups: cradl (pixels pooled), cradl_brain_only, cradl_slice, the |z|
    baseline's baseline_abs_zscore and baseline_brain_only, per_kind (each
    kind's cradl_brain_only and baseline_brain_only) and, with `threshold`,
    label_free_threshold (value, and the segmentation's pooled dice)."""
    import json

    natives = []
    for entry in scans:
        scan = entry["scan"]
        natives.append((str(entry.get("name", len(natives))), to_native(scan, "scan"),
                        mask_to_native(entry.get("mask"), "mask", scan), mask_to_native(entry["label"], "label", scan),
                        to_native(entry["anomaly_map"], "anomaly map"),
                        [float(v) for v in entry.get("slice_scores", [])],
                        None if entry.get("kinds") is None else to_native(
                            entry["kinds"], "kinds", codes=True,
                            **({} if is_itk_image(entry["kinds"]) else geometry_of(scan)))))
    return json.loads(_cradl.evaluate(natives, None if threshold is None else float(threshold), bool(kinds)))


def write_dataset(folder, train=20, validation=4, test=8, spacing=2.0, seed=0, held_out_kind="ring"):
    """The default data set (`cradl make-dataset`) under `folder`: images,
    masks, labels, kinds and the manifests train.csv, val.csv, test.csv."""
    _cradl.write_dataset(str(folder), int(train), int(validation), int(test), float(spacing), int(seed),
                         str(held_out_kind))


anomaly_map_fusion_image_filter = _functional(AnomalyMapFusionImageFilter)
