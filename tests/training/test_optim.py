"""LazyAdadelta against torch.optim.Adadelta, and the sparse-gradient switch for embedding tables."""

import ast
import inspect

import pytest
import torch
from torch import nn

from textcnn.training import optim
from textcnn.training.optim import LAST_STEP, LazyAdadelta, sparse_embedding_grads


def _batches(steps: int, vocab: int, seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    # Few ids per step, so most rows sit out most steps (and some rows never appear).
    return [torch.randint(0, vocab // 2, (4, 3), generator=g) for _ in range(steps)]


def _train(sparse: bool, optimizer_cls, steps: int = 30, state_dict_at: int | None = None, device: str = "cpu"):
    torch.manual_seed(0)
    table = nn.Embedding(40, 6, padding_idx=0, sparse=sparse).to(device)
    head = nn.Linear(6, 3).to(device)
    params = list(table.parameters()) + list(head.parameters())
    opt = optimizer_cls(params, lr=1.0, rho=0.95, eps=1e-6)
    for i, ids in enumerate(_batches(steps, 40)):
        if state_dict_at == i:  # save and reload the optimiser mid-run, as resume does
            saved = opt.state_dict()
            opt = optimizer_cls(params, lr=1.0, rho=0.95, eps=1e-6)
            opt.load_state_dict(saved)
        loss = head(table(ids.to(device)).mean(dim=1)).logsumexp(dim=1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return table.weight.detach(), head.weight.detach(), opt


@pytest.mark.parametrize(
    "device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU"))]
)
def test_lazy_sparse_matches_dense_adadelta(device):
    dense_w, dense_h, dense_opt = _train(False, torch.optim.Adadelta, device=device)
    lazy_w, lazy_h, lazy_opt = _train(True, LazyAdadelta, device=device)
    assert not torch.equal(dense_w, _train(False, torch.optim.Adadelta, steps=1, device=device)[0])  # it trained
    torch.testing.assert_close(lazy_w, dense_w, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(lazy_h, dense_h, rtol=1e-5, atol=1e-6)
    # The lazy state, caught up, is the dense state.
    p_lazy, p_dense = lazy_opt.param_groups[0]["params"][0], dense_opt.param_groups[0]["params"][0]
    lazy_opt._catch_up(p_lazy, 0.95)
    for key in ("square_avg", "acc_delta"):
        torch.testing.assert_close(lazy_opt.state[p_lazy][key], dense_opt.state[p_dense][key], rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize(
    ("options", "dtype"),
    [
        ({"weight_decay": 0.05}, torch.float32),
        ({"weight_decay": 0.05, "maximize": True, "foreach": True}, torch.float32),
        ({"weight_decay": 0.05}, torch.complex64),
        ({"lr": torch.tensor(0.5)}, torch.float64),
    ],
)
def test_dense_step_matches_adadelta(options, dtype):
    torch.manual_seed(0)
    ref = [nn.Parameter(torch.randn(7, 5, dtype=dtype)), nn.Parameter(torch.randn(3, dtype=dtype))]
    lazy = [nn.Parameter(p.detach().clone()) for p in ref]
    opt_ref = torch.optim.Adadelta(ref, rho=0.9, eps=1e-6, **options)
    opt_lazy = LazyAdadelta(lazy, rho=0.9, eps=1e-6, **options)
    for step in range(8):
        for a, b in zip(ref, lazy, strict=True):
            a.grad = None if step == 3 and a.dim() == 1 else torch.randn_like(a)  # one step without a gradient
            b.grad = None if a.grad is None else a.grad.clone()
        opt_ref.step()
        opt_lazy.step()
    for a, b in zip(ref, lazy, strict=True):
        torch.testing.assert_close(b, a)
        for key in ("step", "square_avg", "acc_delta"):
            torch.testing.assert_close(opt_lazy.state[b][key], opt_ref.state[a][key])
    assert opt_lazy.state_dict()["state"].keys() == opt_ref.state_dict()["state"].keys()


def test_optim_uses_no_private_torch_name():
    """Private torch names (``torch.optim.optimizer._get_scalar_dtype``, ``Adadelta._init_group``, ...) and the
    modules behind torch's optimiser classes (``torch.optim.adadelta.adadelta``) change without notice between
    releases: the module uses public ones only."""
    tree = ast.parse(inspect.getsource(optim))
    own = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    internal_modules = {torch.optim.Optimizer.__module__, torch.optim.Adadelta.__module__}
    torch_names = set()

    def private(name: str) -> bool:
        return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))

    def dotted(node: ast.expr) -> str:
        return f"{dotted(node.value)}.{node.attr}" if isinstance(node, ast.Attribute) else getattr(node, "id", "?")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "torch":
                    assert not any(map(private, alias.name.split("."))), alias.name
                    assert alias.name not in internal_modules, alias.name
                    torch_names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "torch":
            assert not any(map(private, node.module.split("."))) and node.module not in internal_modules, node.module
            for alias in node.names:
                assert not private(alias.name), f"from {node.module} import {alias.name}"
                assert f"{node.module}.{alias.name}" not in internal_modules, f"from {node.module} import {alias.name}"
                torch_names.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and dotted(node) in internal_modules:
            raise AssertionError(f"line {node.lineno}: {dotted(node)}")
        if isinstance(node, ast.Attribute) and private(node.attr):
            # torch.x._y, or self._y / super()._y / cls._y reaching a private method inherited from torch
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            from_torch = isinstance(base, ast.Name) and base.id in torch_names
            assert not from_torch and node.attr in own, f"line {node.lineno}: private name {node.attr}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"getattr", "hasattr"}:
            names = [a.value for a in node.args[1:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            assert not any(map(private, names)), f"line {node.lineno}: {node.func.id}(..., {names})"


def test_lazy_state_survives_state_dict_round_trip():
    straight = _train(True, LazyAdadelta)[0]
    resumed = _train(True, LazyAdadelta, state_dict_at=17)[0]
    torch.testing.assert_close(resumed, straight, rtol=0, atol=0)


def test_dense_step_after_sparse_steps_catches_up():
    torch.manual_seed(0)
    ref = nn.Parameter(torch.randn(10, 4))
    lazy = nn.Parameter(ref.detach().clone())
    opt_ref, opt_lazy = torch.optim.Adadelta([ref], rho=0.9), LazyAdadelta([lazy], rho=0.9)
    for step in range(6):
        rows = torch.tensor([step % 3, 5])
        values = torch.randn(2, 4)
        dense = torch.zeros(10, 4).index_add_(0, rows, values)
        ref.grad, lazy.grad = dense, torch.sparse_coo_tensor(rows.unsqueeze(0), values, (10, 4), check_invariants=True)
        if step == 5:
            lazy.grad = dense.clone()  # the last step dense: the pending decay is applied first
        opt_ref.step()
        opt_lazy.step()
    assert LAST_STEP not in opt_lazy.state[lazy]
    torch.testing.assert_close(lazy, ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(opt_lazy.state[lazy]["square_avg"], opt_ref.state[ref]["square_avg"])


def test_sparse_gradient_with_weight_decay_is_refused_before_anything_changes():
    table, other = nn.Embedding(5, 2, sparse=True), nn.Embedding(5, 2, sparse=True)
    opt = LazyAdadelta([{"params": other.parameters()}, {"params": table.parameters(), "weight_decay": 0.1}])
    (table(torch.tensor([1, 2])).sum() + other(torch.tensor([3])).sum()).backward()
    before = other.weight.detach().clone()
    with pytest.raises(ValueError, match="weight_decay=0"):
        opt.step()
    assert other.weight.grad is not None and table.weight.grad is not None
    assert torch.equal(other.weight, before)


def test_step_hooks_run_once_per_step():
    torch.optim.Adadelta([nn.Parameter(torch.zeros(1))])  # a plain Adadelta in the process patches its step too
    table = nn.Embedding(5, 2, sparse=True)
    opt = LazyAdadelta(table.parameters())
    calls = []
    opt.register_step_post_hook(lambda *_: calls.append(table.weight.grad is not None))
    table(torch.tensor([1, 2])).sum().backward()
    opt.step()
    assert calls == [True]


def test_last_step_stays_int64_through_a_half_precision_round_trip():
    table = nn.Embedding(600, 2, sparse=True).to(torch.bfloat16)
    opt = LazyAdadelta(table.parameters())
    for _ in range(301):
        opt.zero_grad()
        table(torch.tensor([1])).float().sum().backward()
        opt.step()
    reloaded = LazyAdadelta(table.parameters())
    reloaded.load_state_dict(opt.state_dict())
    last = reloaded.state[table.weight][LAST_STEP]
    assert last.dtype == torch.long and int(last[1]) == 301 and int(last[2]) == 0


def test_sparse_embedding_grads_switches_trainable_tables_and_restores():
    model = nn.ModuleDict({"a": nn.Embedding(5, 2), "frozen": nn.Embedding(5, 2), "lin": nn.Linear(2, 2)})
    model["frozen"].weight.requires_grad_(False)
    with sparse_embedding_grads([model]) as switched:
        assert switched == [model["a"]]
        model["a"](torch.tensor([1, 3])).sum().backward()
        assert model["a"].weight.grad.is_sparse
    assert not model["a"].sparse and not model["frozen"].sparse
    with sparse_embedding_grads([model], enabled=False) as switched:
        assert switched == [] and not model["a"].sparse
