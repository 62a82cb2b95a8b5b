"""Model directories on the Hugging Face Hub: ``push_model_dir`` uploads one, ``hub_path`` fetches one for
``textcnn.load("hf://org/name")``. Both go through ``huggingface_hub``; where no network (or no Hub) is reachable
they fail with one clear message instead of a stack of connection errors."""

from __future__ import annotations

from pathlib import Path

from textcnn.classify import model_dir as md

HF_PREFIX = "hf://"


def push_model_dir(path: str | Path, repo_id: str, *, private: bool = False, token: str | None = None) -> str:
    """Upload a complete model directory (its model card included) to the model repository ``repo_id``.

    Returns:
        The URL of the commit.

    Raises:
        ValueError: ``path`` is not a complete model directory, its model reads a local encoder folder that the
            upload would not carry, or the Hub cannot be reached or refuses the upload.
    """
    from huggingface_hub import HfApi

    path = Path(path)
    files = md.read_model_dir(path)  # the folder must load back before it is shared
    _check_portable_encoder(path, files.model_kwargs)
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        info = api.upload_folder(folder_path=str(path), repo_id=repo_id, repo_type="model",
                                 allow_patterns=md.SHARED_FILES, commit_message="Upload textcnn model")  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - network, auth and offline errors all mean "not uploaded"
        raise ValueError(f"cannot push {path} to the Hub repository {repo_id!r}: {_reason(exc)}") from None
    return str(getattr(info, "commit_url", info))


def _check_portable_encoder(path: Path, model_kwargs: dict) -> None:
    """Refuse a contextual model whose encoder is a folder on this machine: the upload holds the CNN, not the
    encoder, so the pushed model would not load anywhere else. A packaged encoder (recorded by name) travels."""
    encoder = model_kwargs.get("encoder")
    if encoder is None:
        return
    from textcnn.text.contextual import is_packaged_encoder

    if not is_packaged_encoder(str(encoder)):
        raise ValueError(
            f"{path}: its model reads the encoder folder {encoder}, which a push would not carry (the model would not "
            "load elsewhere); train it with model.encoder=all-MiniLM-L6-v2 (a packaged encoder, recorded by name), or "
            "share the encoder and the model directory together"
        )


def hub_path(name: str, *, revision: str | None = None) -> Path:
    """The local folder of ``hf://org/name`` (downloaded into the Hugging Face cache, or found there).

    Raises:
        ValueError: The name is malformed, or the repository cannot be fetched (offline, unknown, private).
    """
    from huggingface_hub import snapshot_download

    repo_id = name[len(HF_PREFIX) :] if name.startswith(HF_PREFIX) else name
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise ValueError(f"{name!r} is not a Hub model name; expected hf://ORG/NAME")
    try:
        return Path(snapshot_download(repo_id, revision=revision, allow_patterns=md.SHARED_FILES))
    except Exception as exc:  # noqa: BLE001 - network, auth and offline errors all mean "not available"
        raise ValueError(f"cannot fetch {name} from the Hugging Face Hub: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    offline = ("offline" in text.lower()) or "connect" in text.lower() or "resolve" in text.lower()
    hint = " (no network here? the Hub needs one; HF_HUB_OFFLINE=1 only reads the local cache)" if offline else ""
    return f"{type(exc).__name__}: {text[:300]}{hint}"
