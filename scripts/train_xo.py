"""Rohrer's X-and-O lecture end to end: the hand-set filters on the lecture's X, then a ConvNet trained on X/O images.

Example (2-core CPU)::

    python scripts/train_xo.py --size 28 --n-train 4000 --epochs 3

Part 1 prints the lecture's three feature maps of its 9x9 X after filtering, 2x2 max pooling and ReLU (two
decimals, truncated as on the slides). Part 2 generates X and O images with random position, size, angle, stroke
weight and noise, trains ``xo_net`` with the toolkit's trainer and reports accuracy on a fresh draw.
"""

from __future__ import annotations

import argparse
import time


def build_parser() -> argparse.ArgumentParser:
    """The script's options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=28, help="image height and width in pixels")
    p.add_argument("--n-train", type=int, default=4000, help="generated training images (10%% become dev)")
    p.add_argument("--n-test", type=int, default=2000, help="generated held-out test images")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2, help="CPU threads for torch")
    p.add_argument("--out", default=None, help="folder for the log, metrics.json and model.safetensors")
    return p


def show_lecture() -> None:
    """Print the lecture's maps computed with the core's layers."""
    import torch

    from textcnn.data.xo import FEATURE_NAMES, lecture_x_image
    from textcnn.layers import get_act_layer, pool2d
    from textcnn.models.xo_net import lecture_filter

    x = torch.from_numpy(lecture_x_image())[None, None]  # (1, 1, 9, 9)
    maps = lecture_filter()(x)  # (1, 3, 7, 7)
    pooled = pool2d("max", 2, stride=2, ceil_mode=True)(maps)  # (1, 3, 4, 4)
    rectified = get_act_layer("relu")()(pooled)  # (1, 3, 4, 4)
    for k, name in enumerate(FEATURE_NAMES):
        for title, grid in (("filtered", maps), ("pooled + ReLU", rectified)):
            print(f"feature {k + 1} ({name}), {title}:")
            for row in grid[0, k].tolist():
                print("  " + " ".join(f"{int(v * 100 + (1e-4 if v >= 0 else -1e-4)) / 100:5.2f}" for v in row))


def main(argv: list[str] | None = None) -> dict:
    """Parse ``argv``, show the lecture, train ``xo_net`` and return its metrics."""
    args = build_parser().parse_args(argv)
    import torch

    import textcnn.models.xo_net  # noqa: F401  (registers xo_net)
    from textcnn.classify.image import train_image_classifier
    from textcnn.data.xo import XO_LABELS, make_xo_images
    from textcnn.training import TrainConfig

    torch.set_num_threads(args.threads)
    show_lecture()
    start = time.perf_counter()
    train = make_xo_images(args.n_train, size=args.size, seed=args.seed)
    test = make_xo_images(args.n_test, size=args.size, seed=args.seed + 1_000_003)
    config = TrainConfig(
        optimizer="adam", lr=1e-2, epochs=args.epochs, batch_size=32, early_stopping=None, seed=args.seed,
        progress=False, num_threads=args.threads,
    )  # fmt: skip
    outcome = train_image_classifier("xo_net", train, test, config=config, label_names=XO_LABELS, out_dir=args.out)
    metrics = outcome.metrics
    print(f"xo_net: {metrics['parameters']} parameters, {metrics['n_train']} train / {metrics['n_dev']} dev images")
    print(f"test accuracy  {metrics['test_accuracy']:.4f} ({metrics['n_test']} fresh images)")
    print(f"train seconds  {metrics['seconds']:.1f}; total {time.perf_counter() - start:.1f}")
    return metrics


if __name__ == "__main__":
    main()
