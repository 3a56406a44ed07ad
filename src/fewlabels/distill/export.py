"""Export students to ONNX with fewlabels metadata, and read such files back safely.

An export is one ONNX file: the student's network (raw features in, probabilities out) plus
JSON metadata in ``metadata_props`` (format name and version, classes, and how raw inputs
become features). Nothing is ever unpickled: loading a pickle runs code, so pickles,
torch checkpoints and anything else that is not a fewlabels ONNX export are refused with a
message that says what the file is. Reading needs onnxruntime only (no torch).
"""

from __future__ import annotations

import json
import os
import struct
import warnings
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fewlabels.distill.export_schema import NotAStudentError, parse_metadata
from fewlabels.errors import MissingFileError

if TYPE_CHECKING:
    from torch import nn

#: The value of the ``fewlabels.format`` metadata key of every export.
FORMAT = "fewlabels-student"
#: The newest format version this release writes and reads.
FORMAT_VERSION = 1
KEY_FORMAT = "fewlabels.format"
KEY_VERSION = "fewlabels.format_version"
KEY_STUDENT = "fewlabels.student"
OUTPUT_NAME = "probabilities"


__all__ = ["FORMAT", "FORMAT_VERSION", "NotAStudentError", "export_onnx", "read_export"]


def export_onnx(
    module: nn.Module,
    example: dict[str, np.ndarray],
    path: str | os.PathLike[str],
    *,
    metadata: dict[str, Any],
    dynamic_axes: dict[str, dict[int, str]],
) -> Path:
    """Write ``module`` (inputs in ``example`` order -> probabilities) as a fewlabels export.

    Parameters
    ----------
    module : torch.nn.Module
        Returns probabilities of shape (n, n_classes).
    example : dict of str to ndarray
        One small batch of inputs, by input name (also fixes the input order).
    path : path-like
        Where to write; the parent folder is created.
    metadata : dict
        JSON-serialisable description (classes, input spec, training summary).
    dynamic_axes : dict
        Input name -> {axis: name} of the axes that vary (batch, text length).

    Returns
    -------
    Path of the written file.
    """
    import onnx
    import torch

    from fewlabels._atomic import atomic_path

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    names = list(example)
    args = tuple(torch.from_numpy(example[k]) for k in names)
    module = module.cpu().eval()
    axes = {**dynamic_axes, OUTPUT_NAME: {0: "n"}}
    # Written beside the target and renamed when complete: a failed export leaves no file.
    with atomic_path(out) as tmp:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module,
                args,
                str(tmp),
                input_names=names,
                output_names=[OUTPUT_NAME],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        model = onnx.load(str(tmp))
        props = {
            KEY_FORMAT: FORMAT,
            KEY_VERSION: str(FORMAT_VERSION),
            KEY_STUDENT: json.dumps(metadata, sort_keys=True),
        }
        for key, value in props.items():
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
        model.producer_name = "fewlabels"
        onnx.save(model, str(tmp))
    return out


def describe_file(path: str | os.PathLike[str]) -> str | None:
    """Say what a file is when it is plainly not ONNX (pickle, zip, safetensors...), else None."""
    p = Path(path)
    with open(p, "rb") as fh:
        head = fh.read(16)
    if not head:
        return "an empty file"
    if head[0] == 0x80 and len(head) > 1 and 2 <= head[1] <= 5:
        return f"a pickle file (protocol {head[1]}): refused because loading a pickle runs code"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(p) as zf:
                pickled = any(n.endswith(".pkl") for n in zf.namelist())
        except zipfile.BadZipFile:
            pickled = False
        if pickled:
            return (
                "a torch checkpoint (a zip archive with a pickle inside): refused because "
                "loading a pickle runs code"
            )
        return "a zip archive"
    if p.suffix.lower() in (".pkl", ".pickle", ".joblib"):
        return f"a {p.suffix} file (a pickle): refused because loading a pickle runs code"
    if head.startswith(b"\x89HDF"):
        return "an HDF5 file"
    if len(head) >= 9:
        (n,) = struct.unpack("<Q", head[:8])
        if head[8:9] == b"{" and 0 < n < p.stat().st_size:
            return "a safetensors file (weights only, no fewlabels metadata)"
    if head.lstrip()[:1] in (b"{", b"["):
        return "a JSON or text file"
    return None


def read_export(
    path: str | os.PathLike[str], *, threads: int | None = None
) -> tuple[Any, dict[str, Any]]:
    """Open a fewlabels export with onnxruntime and return (session, metadata).

    ``threads`` sets onnxruntime's intra-op threads (its default when None).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    NotAStudentError
        When the file is not a fewlabels export, saying what it is instead.
    """
    import onnxruntime as ort

    p = Path(path)
    if not p.is_file():
        raise MissingFileError(
            f"Expected a student model file (.onnx from `fewlabels distill`), but {str(p)!r} "
            "does not exist or is a folder."
        )
    what = describe_file(p)
    if what is not None:
        raise NotAStudentError(
            f"Expected a fewlabels student export (ONNX), but {str(p)!r} is {what}. "
            "Export a student with Student.export(path) or `fewlabels distill --out model.onnx`."
        )
    try:
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        if threads is not None:
            opts.intra_op_num_threads = int(threads)
        session = ort.InferenceSession(str(p), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:
        with open(p, "rb") as fh:
            head = fh.read(8)
        raise NotAStudentError(
            f"Expected a fewlabels student export (ONNX), but {str(p)!r} is not an ONNX file "
            f"(starts with bytes {head!r}; onnxruntime says: {str(exc).splitlines()[0][:200]})."
        ) from None
    meta = session.get_modelmeta()
    props = dict(meta.custom_metadata_map)
    if props.get(KEY_FORMAT) != FORMAT:
        producer = meta.producer_name or "unknown"
        raise NotAStudentError(
            f"Expected a fewlabels student export, but {str(p)!r} is an ONNX model without "
            f"fewlabels metadata (producer {producer!r}, no '{KEY_FORMAT}' = '{FORMAT}' key). "
            "Only fewlabels exports carry the input spec needed to predict from raw data."
        )
    try:
        version = int(props.get(KEY_VERSION, ""))
    except ValueError:
        version = -1
    if not 1 <= version <= FORMAT_VERSION:
        raise NotAStudentError(
            f"Expected fewlabels export format version 1 to {FORMAT_VERSION}, but {str(p)!r} has "
            f"version {props.get(KEY_VERSION)!r}. Upgrade fewlabels or re-export the student."
        )
    meta = parse_metadata(props.get(KEY_STUDENT, ""), str(p))
    _check_graph(session, meta, str(p))
    return session, meta


def _check_graph(session: Any, meta: dict[str, Any], path: str) -> None:
    """Refuse a network whose inputs or output do not fit its metadata."""
    names = [i.name for i in session.get_inputs()]
    outputs = session.get_outputs()
    problem = ""
    if names != meta["inputs"]:
        problem = f"its network takes the inputs {names}, but its metadata says {meta['inputs']}"
    elif [o.name for o in outputs] != [OUTPUT_NAME]:
        problem = f"its network's outputs are {[o.name for o in outputs]}, not [{OUTPUT_NAME!r}]"
    else:
        shape = outputs[0].shape
        n = len(meta["classes"])
        if len(shape) != 2 or (isinstance(shape[1], int) and shape[1] != n):
            problem = f"its network outputs shape {shape}, but its metadata names {n} classes"
    if problem:
        raise NotAStudentError(
            f"Expected a fewlabels student export, but {path!r} is damaged or foreign: "
            f"{problem}. Export the student again (`fewlabels distill`)."
        )
