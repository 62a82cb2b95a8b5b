"""``python -m textcnn``: the ``textcnn`` command, also as ``torchrun --nproc-per-node N -m textcnn train ...``."""

from textcnn.cli.main import cli

if __name__ == "__main__":
    cli(prog_name="textcnn")
