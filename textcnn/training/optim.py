"""Adadelta that also takes sparse (row) gradients, and the switch that gives embedding tables such gradients.

A Kim CNN's embedding table is most of its parameters (MR, 300-d random vectors: 5.6M of 5.9M), yet one batch of
50 sentences touches a few hundred of its rows. Dense Adadelta still reads and writes the whole table and both of its
accumulators at every step: about 30% of a non-static epoch on CPU, and most of a step on SST's short phrases.

:class:`LazyAdadelta` updates only the rows a sparse gradient names. A row that got no gradient for ``m`` steps
would, under dense Adadelta, have had both accumulators multiplied by ``rho`` ``m`` times and its weights left as
they were (a zero gradient gives a zero update); the lazy update applies ``rho ** m`` when the row is next touched.
The result is the same as :class:`torch.optim.Adadelta` up to floating-point rounding (a test compares them).
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterable

import torch
from torch import nn

LAST_STEP = "last_step"


class LazyAdadelta(torch.optim.Adadelta):
    """:class:`torch.optim.Adadelta` (same arguments) that also accepts sparse gradients and updates only their rows.

    Dense gradients get torch's Adadelta update, written here with public tensor ops only (the same ops in the same
    order as torch's single-tensor loop, so the same results; the ``foreach`` option is accepted and ignored, and
    ``differentiable`` has no effect, as the step runs without autograd). For a parameter with a sparse gradient,
    the step of each row's last update is kept in its state (``"last_step"``, int64) and the accumulator decay of
    the steps a row missed is applied when the row is next updated, or to the whole table before a dense update.
    The pending decay uses the group's current ``rho``.

    Raises:
        ValueError: A sparse gradient with ``weight_decay != 0`` (decay would touch every row at every step), or one
            that is not row-sparse (``sparse_dim() != 1``); nothing is updated then.
    """

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:  # check everything before changing anything
            for p in group["params"]:
                if p.grad is not None and p.grad.is_sparse:
                    if group["weight_decay"] != 0:
                        raise ValueError("LazyAdadelta: sparse gradients need weight_decay=0")
                    if p.grad.sparse_dim() != 1:
                        raise ValueError(
                            f"LazyAdadelta: sparse gradients must be row-sparse, got {p.grad.sparse_dim()}"
                        )
        for group in self.param_groups:
            dense = [p for p in group["params"] if p.grad is not None and not p.grad.is_sparse]
            for p in dense:
                if LAST_STEP in self.state.get(p, {}):
                    self._catch_up(p, group["rho"])
            if dense:
                self._dense_update(group, dense)
            for p in group["params"]:
                if p.grad is not None and p.grad.is_sparse:
                    self._sparse_update(p, p.grad, group)
        return loss

    def _dense_update(self, group: dict, params: list[torch.Tensor]) -> None:
        """Adadelta's update of ``params`` (what ``torch.optim.Adadelta.step`` does for one group)."""
        lr, rho, eps, weight_decay = float(group["lr"]), group["rho"], group["eps"], group["weight_decay"]
        for p in params:
            state = self._state_of(p, group)
            state["step"] += 1
            grad = -p.grad if group["maximize"] else p.grad
            if weight_decay != 0:
                grad = grad.add(p, alpha=weight_decay)
            square_avg, acc_delta = state["square_avg"], state["acc_delta"]
            if torch.is_complex(p):
                square_avg, acc_delta, grad = (torch.view_as_real(t) for t in (square_avg, acc_delta, grad))
            square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
            std = square_avg.add(eps).sqrt_()
            delta = acc_delta.add(eps).sqrt_().div_(std).mul_(grad)
            acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
            if torch.is_complex(p):
                delta = torch.view_as_complex(delta)
            p.add_(delta, alpha=-lr)

    def _state_of(self, p: torch.Tensor, group: dict) -> dict:
        """``p``'s state, created as ``torch.optim.Adadelta`` creates it (step count, float; both accumulators zero)."""
        state = self.state[p]
        if len(state) == 0:
            scalar_dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
            device = p.device if group["capturable"] else None
            state["step"] = torch.zeros((), dtype=scalar_dtype, device=device)
            state["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["acc_delta"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        return state

    def _catch_up(self, p: torch.Tensor, rho: float) -> None:
        """Apply every row's pending decay so that the state is what dense Adadelta would hold."""
        state = self.state[p]
        decay = _decay(rho, int(state["step"]) - state.pop(LAST_STEP), p)  # (rows, 1, ...)
        state["square_avg"].mul_(decay)
        state["acc_delta"].mul_(decay)

    def _sparse_update(self, p: torch.Tensor, grad: torch.Tensor, group: dict) -> None:
        lr, rho, eps = float(group["lr"]), group["rho"], group["eps"]
        if group["maximize"]:
            grad = -grad
        grad = grad.coalesce()
        rows, g = grad.indices()[0], grad.values()  # (n,), (n, *row_shape)
        state = self._state_of(p, group)
        if LAST_STEP not in state:
            state[LAST_STEP] = torch.full((p.shape[0],), int(state["step"]), dtype=torch.long, device=p.device)
        state["step"] += 1
        step = int(state["step"])
        last = state[LAST_STEP]
        decay = _decay(rho, step - 1 - last[rows], p)  # (n, 1, ...): the steps each row sat out
        square_avg = state["square_avg"][rows].mul_(decay)  # (n, *row_shape)
        acc_delta = state["acc_delta"][rows].mul_(decay)
        square_avg.mul_(rho).addcmul_(g, g, value=1 - rho)
        std = square_avg.add(eps).sqrt_()
        delta = acc_delta.add(eps).sqrt_().div_(std).mul_(g)
        acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
        state["square_avg"][rows] = square_avg
        state["acc_delta"][rows] = acc_delta
        p.index_add_(0, rows, delta, alpha=-lr)
        last[rows] = step

    def load_state_dict(self, state_dict: dict) -> None:
        """As :meth:`torch.optim.Optimizer.load_state_dict`, keeping ``"last_step"`` int64 (the base class casts
        every tensor of the state to the parameter's dtype, which would round it in half precision)."""
        saved_ids = [i for g in state_dict["param_groups"] for i in g["params"]]
        pending = {pos: state_dict["state"][i][LAST_STEP] for pos, i in enumerate(saved_ids)
                   if LAST_STEP in state_dict["state"].get(i, {})}  # fmt: skip
        super().load_state_dict(state_dict)
        params = [p for g in self.param_groups for p in g["params"]]
        for pos, value in pending.items():
            self.state[params[pos]][LAST_STEP] = value.to(device=params[pos].device, dtype=torch.long)


def _decay(rho: float, steps: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """``rho ** steps`` per row, in ``p``'s dtype, shaped to broadcast over ``p``'s rows."""
    steps = steps.to(p.dtype)
    return torch.pow(torch.full_like(steps, rho), steps).view(-1, *([1] * (p.dim() - 1)))


@contextlib.contextmanager
def sparse_embedding_grads(
    modules: Iterable[nn.Module], enabled: bool = True
) -> Generator[list[nn.Embedding], None, None]:
    """Within the block, trainable :class:`torch.nn.Embedding` tables in ``modules`` produce sparse gradients.

    Each table's own ``sparse`` flag is restored on exit, so a model handed back to the user trains with any
    optimiser.

    Yields:
        The tables switched to sparse gradients (empty when ``enabled`` is false).
    """
    switched = []
    if enabled:
        for module in modules:
            for table in module.modules():
                if isinstance(table, nn.Embedding) and table.weight.requires_grad and not table.sparse:
                    table.sparse = True
                    switched.append(table)
    try:
        yield switched
    finally:
        for table in switched:
            table.sparse = False
