"""Device helpers: what a batch looks like on its way to a GPU."""

import torch

from textcnn.models.kim_cnn import KimCNN
from textcnn.training.device import drop_full_mask


def test_an_all_true_mask_is_left_out_only_on_the_way_to_a_gpu():
    ids = torch.tensor([[3, 4, 5], [6, 7, 8]])
    full = {"input_ids": ids, "mask": torch.ones(2, 3, dtype=torch.bool)}
    padded = {"input_ids": ids, "mask": torch.tensor([[True, True, True], [True, False, False]])}
    gpu, cpu = torch.device("cuda"), torch.device("cpu")  # no GPU needed: nothing is moved
    assert drop_full_mask(full, gpu).keys() == {"input_ids"}
    assert drop_full_mask(full, cpu) is full
    assert drop_full_mask(padded, gpu) is padded
    assert drop_full_mask(ids, gpu) is ids


def test_kim_cnn_reads_a_missing_mask_as_all_real():
    torch.manual_seed(0)
    model = KimCNN(20, 3, embedding_dim=8, num_filters=4).eval()
    ids = torch.randint(2, 20, (4, 7))
    inputs = {"input_ids": ids, "mask": torch.ones(4, 7, dtype=torch.bool)}
    torch.testing.assert_close(model(**drop_full_mask(inputs, torch.device("cuda"))), model(**inputs))
