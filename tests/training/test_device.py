"""Device helpers and the text batch's mask rule: an all-True mask never leaves the host."""

import torch

from textcnn.data.batching import make_collate, text_inputs
from textcnn.models.kim_cnn import KimCNN


def test_the_text_collate_leaves_out_a_mask_with_nothing_padded():
    collate = make_collate(pad_id=0, min_len=1)
    same_length, _ = collate([([3, 4, 5], 0), ([6, 7, 8], 1)])
    assert same_length.keys() == {"input_ids"}
    padded, _ = collate([([3, 4, 5], 0), ([6], 1)])
    assert padded.keys() == {"input_ids", "mask"}
    assert padded["mask"].tolist() == [[True, True, True], [True, False, False]]


def test_a_short_text_padded_to_the_widest_filter_keeps_its_mask():
    ids = torch.tensor([[3, 0, 0]])
    assert text_inputs(ids, torch.tensor([[True, False, False]])).keys() == {"input_ids", "mask"}


def test_kim_cnn_reads_a_missing_mask_as_all_real():
    torch.manual_seed(0)
    model = KimCNN(20, 3, embedding_dim=8, num_filters=4).eval()
    ids = torch.randint(2, 20, (4, 7))
    full = torch.ones(4, 7, dtype=torch.bool)
    torch.testing.assert_close(model(ids), model(ids, full))
