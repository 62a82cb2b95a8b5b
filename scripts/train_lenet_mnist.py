"""Train LeNet-5 (LeCun et al. 1998) on full MNIST through the toolkit's trainer and print the test accuracy.

Example (2-core CPU)::

    python scripts/train_lenet_mnist.py --data-dir /path/to/shared/data --epochs 8 --out runs/lenet_mnist

The 60,000 training images are split 54,000 / 6,000 (stratified, seeded) into train and dev; the dev split picks
the best epoch, which is then measured once on the 10,000 test images.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time


def build_parser() -> argparse.ArgumentParser:
    """The script's options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=None, help="benchmark data root holding mnist/ (default: $TEXTCNN_DATA)")
    p.add_argument("--epochs", type=int, default=8, help="training epochs (default: 8)")
    p.add_argument(
        "--n-train", type=int, default=None, help="train on the first N training images only (default: all 60,000)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the split, initialisation and shuffling")
    p.add_argument(
        "--out", default=None, help="model directory to write (textcnn.load opens it, textcnn evaluate scores it)"
    )
    p.add_argument("--optimizer", default="adam", choices=["adadelta", "adam", "adamw", "sgd"])
    p.add_argument("--lr", type=float, default=2e-3, help="learning rate (default: 2e-3 with Adam)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--scheduler", default="cosine", choices=["none", "cosine", "step"])
    p.add_argument("--act", default="tanh", help="LeNet-5 activation (the paper's tanh, or e.g. relu)")
    p.add_argument(
        "--threads",
        type=int,
        default=2,
        help="CPU threads for torch (default: 2; on a busy machine 1 can be much faster)",
    )
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--progress", action="store_true", help="show per-epoch progress bars")
    return p


def main(argv: list[str] | None = None) -> dict:
    """Parse ``argv``, train, print the result and return the metrics."""
    args = build_parser().parse_args(argv)
    import torch

    from textcnn.classify.image import Preprocessing, train_image_classifier
    from textcnn.data.mnist import MNIST_MEAN, MNIST_STD, load_mnist
    from textcnn.training import TrainConfig

    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    train = load_mnist(args.data_dir, "train")
    if args.n_train is not None:
        train = (train[0][: args.n_train], train[1][: args.n_train])
    test = load_mnist(args.data_dir, "test")
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        lr=args.lr,
        scheduler=args.scheduler,
        early_stopping=None,
        seed=args.seed,
        device=args.device,
        num_threads=args.threads,
        progress=args.progress,
    )
    outcome = train_image_classifier(
        "lenet5",
        train,
        test,
        config=config,
        dev_fraction=0.1,
        model_kwargs={"input_size": 28, "act_layer": args.act},
        out_dir=args.out,
        preprocessing=Preprocessing(mean=MNIST_MEAN, std=MNIST_STD),
    )
    metrics = outcome.metrics
    total = time.perf_counter() - start
    command = shlex.join([sys.executable, *sys.argv]) if argv is None else shlex.join(["train_lenet_mnist.py", *argv])
    for record in metrics["history"]:
        print(
            f"epoch {record['epoch']:2d}  loss {record['train_loss']:.4f}  train acc {record['train_accuracy']:.4f}  "
            f"dev acc {record.get('dev_accuracy', float('nan')):.4f}  {record['seconds']:.1f}s"
        )
    print(f"command        {command}")
    print(f"threads        {torch.get_num_threads()}")
    best = f"{metrics['best_epoch']} of {metrics['epochs']} (dev accuracy {metrics['best_dev_accuracy']:.4f})"
    print(f"best epoch     {best}")
    print(f"test accuracy  {metrics['test_accuracy']:.4f} ({metrics['n_test']} images)")
    print(f"train seconds  {metrics['seconds']:.1f}")
    print(f"total seconds  {total:.1f} (loading, training, testing)")
    if args.out:
        print(f"wrote          {args.out}")
    metrics["total_seconds"] = total
    return metrics


if __name__ == "__main__":
    result = main()
    print(json.dumps({k: result[k] for k in ("test_accuracy", "seconds", "total_seconds", "epochs")}))
