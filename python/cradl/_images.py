"""Images across the boundary: itk.Image or NumPy in, the same kind out."""
import numpy as np

from . import _cradl


class ImageArray(np.ndarray):
    """A NumPy array (z, y, x) with ITK's geometry: `spacing`, `origin` (x, y,
    z order, as ITK) and `direction` (a matrix whose columns are the axes'
    directions). What cradl returns when given NumPy input."""

    def __new__(cls, array, spacing=None, origin=None, direction=None):
        obj = np.asarray(array).view(cls)
        d = obj.ndim
        obj.spacing = tuple(float(v) for v in (spacing if spacing is not None else (1.0,) * d))
        obj.origin = tuple(float(v) for v in (origin if origin is not None else (0.0,) * d))
        obj.direction = np.array(direction if direction is not None else np.eye(d), dtype=float)
        return obj

    def __array_finalize__(self, obj):
        if obj is None:
            return
        self.spacing = getattr(obj, "spacing", None)
        self.origin = getattr(obj, "origin", None)
        self.direction = getattr(obj, "direction", None)


def is_itk_image(image):
    return hasattr(image, "GetSpacing") and hasattr(image, "GetLargestPossibleRegion")


def to_native(image, role, mask=False, spacing=None, origin=None, direction=None, codes=False):
    """A cradl._cradl.Image copy of `image`: float32 pixels, or for a mask
    uint8 (non-zero = 1), or with `codes` uint8 values as they are (kind
    codes). Geometry: the itk.Image's or ImageArray's, or the
    keyword arguments, or unit spacing, zero origin and identity direction."""
    if isinstance(image, _cradl.Image):
        return image
    if is_itk_image(image):
        import itk

        array = itk.array_view_from_image(image)
        spacing = list(image.GetSpacing())
        origin = list(image.GetOrigin())
        direction = itk.array_from_matrix(image.GetDirection())
    elif isinstance(image, np.ndarray):
        array = np.asarray(image)
        if isinstance(image, ImageArray) and image.spacing is not None:
            spacing = image.spacing if spacing is None else spacing
            origin = image.origin if origin is None else origin
            direction = image.direction if direction is None else direction
    else:
        raise TypeError(f"{role} must be an itk.Image or a NumPy array, not {type(image).__name__}")
    if array.ndim not in (2, 3):
        raise ValueError(f"{role} must be 2D or 3D, not {array.ndim}D (shape {array.shape})")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{role} must have scalar pixels, not {array.dtype}")
    d = array.ndim
    spacing = list(spacing) if spacing is not None else [1.0] * d
    origin = list(origin) if origin is not None else [0.0] * d
    direction = np.asarray(direction if direction is not None else np.eye(d), dtype=float).tolist()
    if codes:
        pixels = np.ascontiguousarray(array, dtype=np.uint8)
    elif mask:
        pixels = (array != 0).astype(np.uint8)
    else:
        pixels = np.ascontiguousarray(array, dtype=np.float32)
    return _cradl.Image(np.ascontiguousarray(pixels), spacing, origin, direction)


def mask_to_native(mask, role, beside):
    """A mask (or label) as a module image; a plain NumPy mask, which carries
    no geometry, takes that of the image `beside` it. None stays None."""
    if mask is None:
        return None
    carries_geometry = is_itk_image(mask) or isinstance(mask, ImageArray)
    return to_native(mask, role, mask=True, **({} if carries_geometry else geometry_of(beside)))


def geometry_of(image):
    """Keyword geometry of an ImageArray (for masks given as plain NumPy beside it)."""
    if isinstance(image, ImageArray) and image.spacing is not None:
        return {"spacing": image.spacing, "origin": image.origin, "direction": image.direction}
    return {}


def from_native(native, like):
    """`native` as the kind of `like`: an itk.Image (a copy) or an ImageArray (a view)."""
    return as_kind(native, as_itk=is_itk_image(like))


def as_kind(native, as_itk):
    array = np.asarray(native)
    if as_itk:
        import itk

        image = itk.image_from_array(np.array(array))
        image.SetSpacing(list(native.spacing))
        image.SetOrigin(list(native.origin))
        image.SetDirection(itk.matrix_from_array(np.array(native.direction, dtype=float)))
        return image
    return ImageArray(array, native.spacing, native.origin, native.direction)
