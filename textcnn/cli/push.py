"""``textcnn push``: upload a model directory (with its model card) to the Hugging Face Hub."""

from __future__ import annotations

import click

from textcnn.cli._common import friendly_errors


@click.command("push")
@click.argument("model_dir", type=click.Path(file_okay=False))
@click.argument("repo_id")
@click.option("--private", is_flag=True, default=False, help="Create the repository as private.")
@friendly_errors
def push(model_dir: str, repo_id: str, private: bool) -> None:
    """Upload MODEL_DIR to the Hub model repository REPO_ID (ORG/NAME); load it anywhere with
    textcnn.load("hf://ORG/NAME"). Needs a network and a token (`huggingface-cli login` or HF_TOKEN)."""
    from textcnn.classify.hub import push_model_dir

    click.echo(f"pushed {model_dir} -> {push_model_dir(model_dir, repo_id, private=private)}")
