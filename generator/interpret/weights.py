"""Weights files: finding them (a local path or a pinned URL), trusting them (sha256), and
loading them into a model with every key checked.

A URL is downloaded once into the cache folder (`$VELLUM_CACHE`, else
`~/.cache/vellum/models`) and must be pinned by its sha256, either as `sha256=` or as a
`#sha256=<hex>` fragment of the URL, so that a build never runs on weights that changed under
it. A download whose hash differs is deleted and refused.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import torch
from torch import nn

from .digest import sha256_file
from .errors import WeightsError, WeightsMismatch

log = logging.getLogger(__name__)

_CHUNK = 1 << 20


def cache_dir() -> Path:
    """Where downloaded weights live: `$VELLUM_CACHE/models` or `~/.cache/vellum/models`."""
    root = os.environ.get("VELLUM_CACHE")
    return Path(root) / "models" if root else Path.home() / ".cache" / "vellum" / "models"


def state_sha256(model: nn.Module) -> str:
    """The hex sha256 of a model's state dict: every tensor's name, dtype, shape and bytes, in
    name order. What identifies the weights of a model that was not loaded from a file (a
    factory's, or a seeded one's)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        data = tensor.detach().cpu().contiguous()
        digest.update(f"{name}\0{data.dtype}\0{tuple(data.shape)}\0".encode())
        digest.update(data.reshape(-1).view(torch.uint8).numpy().tobytes() if data.numel() else b"")  # 0-d too
    return digest.hexdigest()


def is_url(weights: str | Path) -> bool:
    return isinstance(weights, str) and weights.split("://", 1)[0].lower() in ("http", "https")


def resolve_weights(weights: str | Path, sha256: str | None = None) -> Path:
    """The local file of `weights` (a path, or an http(s) URL downloaded into `cache_dir()`),
    checked against `sha256` when given. A URL must be pinned by a sha256."""
    if is_url(weights):
        url, pinned = _split_pin(str(weights))
        if sha256 and pinned and sha256.lower() != pinned:
            raise WeightsError(f"two different sha256 given for {url}", "keep one")
        return _download(url, (sha256 or pinned or "").lower())
    path = Path(weights).expanduser()
    if not path.is_file():
        raise WeightsError(f"weights file '{path}' not found", "check the path")
    if sha256:
        actual = sha256_file(path)
        if actual != sha256.lower():
            raise WeightsError(
                f"weights file '{path}' has sha256 {actual}, expected {sha256.lower()}", ""
                "the file changed; use the right file or update the pinned hash"
            )
    return path


def _split_pin(url: str) -> tuple[str, str | None]:
    base, _, fragment = url.partition("#")
    if fragment.startswith("sha256="):
        return base, fragment[len("sha256="):].lower()
    return url, None


def _download(url: str, sha256: str) -> Path:
    if not sha256:
        raise WeightsError(
            f"downloading {url} needs its sha256", "pass sha256='<hex>' or append "
            "'#sha256=<hex>' to the URL (`sha256sum FILE` prints it)"
        )
    name = Path(urllib.parse.urlparse(url).path).name or "weights"
    target = cache_dir() / f"{sha256[:16]}-{name}"
    if target.is_file() and sha256_file(target) == sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    log.info("downloading %s to %s", url, target)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".download-")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise WeightsError(
                f"{url} has sha256 {digest.hexdigest()}, expected {sha256}", "the download was "
                "deleted; check the URL and the pinned hash"
            )
        os.replace(tmp, target)
    except (urllib.error.URLError, OSError) as exc:
        raise WeightsError(f"could not download {url}: {exc}", "check the URL and your network") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A state dict from a `torch.save` file (tensors only, no pickled code). A dict holding
    it under "state_dict" or "model" is unwrapped."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file
        raise WeightsError(
            f"'{path}' is not a PyTorch weights file torch.load can read safely ({type(exc).__name__})", ""
            "save the weights with torch.save(model.state_dict(), PATH)"
        ) from exc
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(
            f"'{path}' does not hold a state dict of tensors", "save it with "
            "torch.save(model.state_dict(), PATH)"
        )
    return state


def load_checked(model: nn.Module, state: dict[str, torch.Tensor], what: str) -> None:
    """`model.load_state_dict(state, strict=True)`, after checking keys and shapes so the
    error lists every missing, unexpected and mis-shaped key at once."""
    ours = model.state_dict()
    missing = sorted(set(ours) - set(state))
    unexpected = sorted(set(state) - set(ours))
    wrong_shape = sorted(
        f"{key} {tuple(state[key].shape)} != {tuple(ours[key].shape)}"
        for key in set(ours) & set(state)
        if state[key].shape != ours[key].shape
    )
    if missing or unexpected or wrong_shape:
        raise WeightsMismatch(what, missing, unexpected, wrong_shape)
    model.load_state_dict(state, strict=True)
