"""What ``train.class_weight: balanced`` does on imbalanced data: MR with most positive reviews left out of training.

The training split of MR fold 0 keeps every negative review and ``--keep`` of the positive ones (seeded); dev is
held out of that (stratified), the test split is MR's own (balanced). The same Kim CNN is trained twice, without and
with balanced class weights (model selection on dev macro-F1 both times), and the per-class recall on the test split
is printed for both. Example (2-core CPU, about 3 minutes)::

    python scripts/class_weight_demo.py --data-dir ../shared/data --keep 0.2 --epochs 10 --threads 1
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys


def build_parser() -> argparse.ArgumentParser:
    """The script's options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=None, help="benchmark data root (default: $TEXTCNN_DATA)")
    p.add_argument("--keep", type=float, default=0.2, help="share of the positive training reviews kept")
    p.add_argument("--epochs", type=int, default=10, help="training epochs (best dev epoch kept)")
    p.add_argument("--mode", default="rand", help="Kim CNN mode (pretrained modes use glove-6b-50d)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    return p


def main(argv: list[str] | None = None) -> dict:
    """Train both models, print per-class recall, return the results."""
    args = build_parser().parse_args(argv)
    import numpy as np

    from textcnn.classify.build import seed_everything, text_loader
    from textcnn.classify.config import load_config
    from textcnn.classify.train import fit_text_model, load_splits
    from textcnn.data.splits import holdout_dev
    from textcnn.training import evaluate_model

    base = ["data.dataset=mr", f"model.mode={args.mode}", f"train.epochs={args.epochs}", "train.metric=macro_f1",
            f"train.seed={args.seed}", f"train.num_threads={args.threads}", "train.progress=false"]  # fmt: skip
    if args.mode != "rand":
        base.append("embeddings.vectors=glove-6b-50d")
    if args.data_dir:
        base.append(f"data.data_dir={json.dumps(args.data_dir)}")
    splits = load_splits(load_config(None, base))
    pool = splits.train  # MR has no dev split of its own: one is held out of the kept reviews below
    labels = np.asarray(pool.labels)
    positive = splits.label_names.index("positive") if "positive" in splits.label_names else 1
    rng = np.random.default_rng(args.seed)
    kept = [i for i, y in enumerate(labels) if y != positive or rng.random() < args.keep]
    train, dev, _ = holdout_dev(pool.subset(kept), fraction=0.1, seed=args.seed)
    counts = np.bincount(np.asarray(train.labels), minlength=len(splits.label_names)).tolist()
    print(f"train {len(train)} ({dict(zip(splits.label_names, counts, strict=True))}), dev {len(dev)}, "
          f"test {len(splits.test)} (MR fold 0, balanced)")  # fmt: skip
    results = {}
    for weight in ("null", "balanced"):
        config = load_config(None, [*base, f"train.class_weight={weight}"])
        seed_everything(args.seed)
        fitted = fit_text_model(config, train, dev, splits.label_names, echo=None)
        loader, _ = text_loader(fitted.tokenizer, splits.test, config, fitted.min_len, shuffle=False)
        m = evaluate_model(fitted.model, loader, splits.label_names, fitted.device, config.train.amp)
        recall = {name: round(row["recall"], 4) for name, row in m["per_class"].items()}
        results[weight] = {"accuracy": m["accuracy"], "macro_f1": m["macro_f1"], "recall": recall,
                           "best_epoch": fitted.fit.best_epoch}  # fmt: skip
        print(f"class_weight={weight:8s}  test accuracy {m['accuracy']:.4f}  macro-F1 {m['macro_f1']:.4f}  "
              f"recall {recall}  best epoch {fitted.fit.best_epoch}")  # fmt: skip
    command = shlex.join([sys.executable, *sys.argv]) if argv is None else shlex.join(["class_weight_demo.py", *argv])
    print(f"command  {command}")
    return results


if __name__ == "__main__":
    main()
