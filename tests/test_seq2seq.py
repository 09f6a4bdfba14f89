"""Tests of the encoder-decoder models, decoding, measures and probe in lstm_helpers.seq2seq,
and of the translation experiment (lstm_helpers.experiments.translation)."""

from __future__ import annotations

import doctest
import itertools
import json

import numpy as np
import pytest
import torch

import lstm_helpers.experiments.translation as experiment
from lstm_helpers import seq2seq
from lstm_helpers.seq2seq import (
    Seq2Seq,
    agreement_by_distance,
    agreement_choice_by_distance,
    attention_weights,
    beam_decode,
    beam_search,
    encoder_states,
    exact_match,
    fit,
    greedy_decode,
    probe_accuracy,
    sequence_log_prob,
    sequence_loss,
    shift_right,
)
from lstm_helpers.tasks.translation import source_vocabulary, target_vocabulary, translation_split

CONFIGS = {
    "lstm": {"cell": "lstm"},
    "lstm_reversed": {"cell": "lstm", "reverse_source": True},
    "lstm_attention": {"cell": "lstm", "attention": True},
    "gru": {"cell": "gru"},
    "gru_attention_reversed": {"cell": "gru", "attention": True, "reverse_source": True},
}


def make(name, src_vocab=11, tgt_vocab=9, seed=0, **sizes):
    torch.manual_seed(seed)
    return Seq2Seq(src_vocab, tgt_vocab, embedding=sizes.get("embedding", 6), hidden=sizes.get("hidden", 10),
                   **CONFIGS[name]).eval()


def batch(n=6, S=7, src_vocab=11, seed=0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(2, S + 1, (n,), generator=g)
    lengths[0] = S
    src = torch.randint(3, src_vocab, (n, S), generator=g)
    src[torch.arange(S)[None, :] >= lengths[:, None]] = 0
    return src, lengths


def test_docstring_examples_run():
    result = doctest.testmod(seq2seq, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 10


@pytest.mark.parametrize("name", CONFIGS)
def test_forward_shapes(name):
    model = make(name)
    src, lengths = batch()
    tgt_in = torch.randint(0, 9, (6, 5))
    logits, alpha = model(src, lengths, tgt_in, return_attention=True)
    assert logits.shape == (6, 5, 9)
    if model.attention:
        assert alpha.shape == (6, 5, 7)
    else:
        assert alpha is None
    memory, state = model.encode(src, lengths)
    assert memory.outputs.shape == (6, 7, 10) and memory.mask.shape == (6, 7)
    h = state[0] if name.startswith("lstm") else state
    assert h.shape == (6, 10)


def test_attention_weights_are_a_distribution_over_the_words_only():
    model = make("lstm_attention")
    src, lengths = batch()
    alpha = attention_weights(model, src, lengths, torch.randint(0, 9, (6, 4)))
    torch.testing.assert_close(alpha.sum(-1), torch.ones(6, 4))
    pad = torch.arange(7)[None, :] >= lengths[:, None]
    assert torch.all(alpha.masked_select(pad[:, None, :].expand_as(alpha)) == 0)


@pytest.mark.parametrize("name", CONFIGS)
def test_padding_changes_nothing(name):
    model = make(name)
    src, lengths = batch()
    tgt_in = torch.randint(0, 9, (6, 5))
    wider = torch.cat([src, torch.zeros(6, 3, dtype=torch.int64)], dim=1)
    torch.testing.assert_close(model(src, lengths, tgt_in), model(wider, lengths, tgt_in))
    # one sentence alone gives what it gives in the batch
    one = model(src[2:3, :lengths[2]], lengths[2:3], tgt_in[2:3])
    torch.testing.assert_close(one, model(src, lengths, tgt_in)[2:3], atol=1e-6, rtol=1e-5)


def test_reversed_model_reads_each_sentence_backwards():
    plain, rev = make("lstm"), make("lstm_reversed")
    rev.load_state_dict(plain.state_dict())
    src, lengths = batch()
    backwards = src.clone()
    for i, k in enumerate(lengths.tolist()):
        backwards[i, :k] = src[i, :k].flip(0)
    torch.testing.assert_close(rev.read_order(src, lengths), backwards)
    tgt_in = torch.randint(0, 9, (6, 4))
    torch.testing.assert_close(rev(src, lengths, tgt_in), plain(backwards, lengths, tgt_in))


@pytest.mark.parametrize("name", ["lstm", "gru", "lstm_reversed"])
def test_encoder_states_end_in_the_state_handed_to_the_decoder(name):
    model = make(name)
    src, lengths = batch()
    h, c = encoder_states(model, src, lengths)
    memory, state = model.encode(src, lengths)
    last = torch.arange(6), lengths - 1
    if model.cell == "lstm":
        torch.testing.assert_close(h[last], state[0])
        torch.testing.assert_close(c[last], state[1])
    else:
        assert c is None
        torch.testing.assert_close(h[last], state)
    valid = torch.arange(7)[None, :] < lengths[:, None]
    torch.testing.assert_close(h[valid], memory.outputs[valid])


@pytest.mark.parametrize("name", CONFIGS)
def test_greedy_log_prob_is_the_models_probability_of_its_output(name):
    model = make(name)
    src, lengths = batch()
    out = greedy_decode(model, src, lengths, max_len=8)
    assert out.tokens.shape == (6, 8) and out.log_prob.shape == (6,) and out.lengths.shape == (6,)
    torch.testing.assert_close(sequence_log_prob(model, src, lengths, out.tokens), out.log_prob)
    # greedy: every token is the argmax given the tokens before it
    logits = model(src, lengths, shift_right(out.tokens))
    for i, k in enumerate(out.lengths.tolist()):
        assert torch.equal(logits[i, :k].argmax(-1), out.tokens[i, :k])
        assert torch.all(out.tokens[i, k:] == model.pad)


@pytest.mark.parametrize("name", CONFIGS)
def test_beam_of_one_is_greedy(name):
    model = make(name, tgt_vocab=6)
    src, lengths = batch(n=8)
    greedy = greedy_decode(model, src, lengths, max_len=7)
    beam = beam_decode(model, src, lengths, beam_size=1, max_len=7)
    assert torch.equal(beam.tokens, greedy.tokens)
    assert torch.equal(beam.lengths, greedy.lengths)
    torch.testing.assert_close(beam.log_prob, greedy.log_prob)


@pytest.mark.parametrize("name", CONFIGS)
def test_beam_search_is_at_least_as_probable_as_greedy(name):
    model = make(name, tgt_vocab=6, seed=1)
    src, lengths = batch(n=20, seed=1)
    greedy = greedy_decode(model, src, lengths, max_len=6)
    for k in (2, 4):
        beam = beam_decode(model, src, lengths, beam_size=k, max_len=6)
        assert torch.all(beam.log_prob >= greedy.log_prob - 1e-5)
        torch.testing.assert_close(sequence_log_prob(model, src, lengths, beam.tokens), beam.log_prob)
    # and finds something better at least once on an untrained model
    assert torch.any(beam.log_prob > greedy.log_prob + 1e-4)


@pytest.mark.parametrize("name", ["lstm", "lstm_attention", "gru"])
def test_exhaustive_beam_finds_the_most_probable_output(name):
    V, max_len = 4, 3
    model = make(name, tgt_vocab=V, seed=2)
    src, lengths = batch(n=3, seed=2)
    # every output: up to max_len tokens, ending at the first eos, or max_len tokens without eos
    candidates = [c for L in range(1, max_len + 1) for c in itertools.product(range(V), repeat=L)
                  if (c[-1] == model.eos and model.eos not in c[:-1]) or (L == max_len and model.eos not in c)]
    for i in range(3):
        tokens = torch.tensor([list(c) + [model.pad] * (max_len - len(c)) for c in candidates])
        n = len(candidates)
        scores = sequence_log_prob(model, src[i:i + 1].expand(n, -1), lengths[i:i + 1].expand(n), tokens)
        best = int(scores.argmax())
        seq, score = beam_search(model, src[i], int(lengths[i]), beam_size=V ** max_len, max_len=max_len)
        assert tuple(seq.tolist()) == candidates[best]
        assert score == pytest.approx(float(scores[best]), abs=1e-5)


def test_beam_search_stops_when_nothing_alive_can_win():
    model = make("lstm", tgt_vocab=5)
    src, lengths = batch(n=1)
    seq, score = beam_search(model, src[0], int(lengths[0]), beam_size=3, max_len=50)
    assert len(seq) <= 50 and score <= 0


@pytest.mark.parametrize("beam_size", [0, -1, 1.5, "2", None, True])
def test_bad_beam_sizes_raise(beam_size):
    model = make("lstm")
    src, lengths = batch()
    with pytest.raises(ValueError, match="beam_size"):
        beam_search(model, src[0], int(lengths[0]), beam_size=beam_size)
    with pytest.raises(ValueError, match="beam_size"):
        beam_decode(model, src, lengths, beam_size=beam_size)


def test_bad_shapes_raise():
    model = make("lstm_attention")
    src, lengths = batch()
    with pytest.raises(ValueError, match=r"one sentence, shape \(S,\)"):
        beam_search(model, src, int(lengths[0]))
    with pytest.raises(ValueError, match="src_length"):
        beam_search(model, src[0], 0)
    with pytest.raises(ValueError, match="src must be an int64"):
        model(src.float(), lengths, src)
    with pytest.raises(ValueError, match="src must be an int64"):
        greedy_decode(model, src[0], lengths)
    with pytest.raises(ValueError, match="src_lengths must be an int64 tensor of shape"):
        model(src, lengths[:3], src)
    with pytest.raises(ValueError, match="src_lengths must lie in"):
        model(src, lengths + 10, src)
    with pytest.raises(ValueError, match="tgt_in"):
        model(src, lengths, src[:2])
    with pytest.raises(ValueError, match="max_len"):
        greedy_decode(model, src, lengths, max_len=0)
    with pytest.raises(ValueError, match="tokens"):
        sequence_log_prob(model, src, lengths, src[0])
    with pytest.raises(ValueError, match="attention=True"):
        attention_weights(make("lstm"), src, lengths, src)
    with pytest.raises(ValueError, match="cell"):
        Seq2Seq(5, 5, cell="rnn")
    with pytest.raises(ValueError, match="hidden"):
        Seq2Seq(5, 5, hidden=0)
    with pytest.raises(ValueError, match="eos"):
        Seq2Seq(5, 5, eos=7)


def test_exact_match_and_agreement_measures():
    tgt = np.array([[5, 6, 7, 2], [5, 6, 2, 0]])
    assert exact_match(tgt, tgt) == 1.0
    assert exact_match([[5, 6, 7, 2, 0, 0], [5, 6, 2, 9, 9, 9]], tgt) == 1.0  # after eos nothing counts
    assert exact_match([[5, 6, 7, 3], [5, 6, 2, 0]], tgt) == 0.5
    assert exact_match([[5, 6, 7], [5, 6, 2]], tgt) == 0.5  # no eos: not equal
    distance = np.array([[-1, 1, 2, -1], [-1, 1, -1, -1]])
    assert agreement_by_distance([[5, 6, 8, 2], [5, 4, 2, 0]], tgt, distance) == {1: 0.5, 2: 0.0}
    assert agreement_by_distance([[5, 6]] * 2, tgt, distance) == {1: 1.0, 2: 0.0}  # missing tokens are wrong
    other = np.array([[-1, 4, 8, -1], [-1, 3, -1, -1]])
    scores = np.zeros((2, 4, 10))
    scores[0, 1, 6], scores[0, 2, 8], scores[1, 1, 3] = 1.0, 1.0, 1.0  # right, wrong, wrong
    assert agreement_choice_by_distance(scores, tgt, other, distance) == {1: 0.5, 2: 0.0}
    with pytest.raises(ValueError, match="same number"):
        exact_match(tgt[:1], tgt)
    with pytest.raises(ValueError, match="distance must have the shape"):
        agreement_by_distance(tgt, tgt, distance[:, :2])
    with pytest.raises(ValueError, match=r"\(N, L, V\)"):
        agreement_choice_by_distance(scores[0], tgt, other, distance)


def test_probe_reads_a_label_only_where_it_is_written():
    rng = np.random.default_rng(0)
    N, T, H = 400, 6, 8
    labels = rng.integers(0, 2, size=N)
    states = rng.normal(size=(N, T, H))
    # from step 2 on, the label is a direction in state space (as a cell that stored the gender)
    direction = rng.normal(size=H)
    states[:, 2:] += 1.5 * (2 * labels[:, None, None] - 1) * direction
    acc = probe_accuracy(states, labels)
    assert acc.shape == (T,)
    assert np.all(acc[:2] < 0.65) and np.all(acc[2:] > 0.95)
    # deterministic, and torch tensors work as well
    np.testing.assert_array_equal(acc, probe_accuracy(torch.tensor(states), torch.tensor(labels)))
    # three classes
    labels3 = rng.integers(0, 3, size=N)
    states3 = rng.normal(size=(N, 2, 3))
    states3[:, 1, :] += 3 * np.eye(3)[labels3]
    acc3 = probe_accuracy(states3, labels3)
    assert acc3[0] < 0.5 and acc3[1] > 0.9


def test_probe_leaves_out_steps_after_the_end():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, size=100)
    states = rng.normal(size=(100, 3, 4))
    states[:, :, 0] += 5 * labels[:, None]
    lengths = np.full(100, 3)
    lengths[:] = 2
    acc = probe_accuracy(states, labels, lengths=lengths)
    assert np.isnan(acc[2]) and acc[0] > 0.95


@pytest.mark.parametrize("kwargs, match", [
    ({"states": np.zeros((4, 3))}, r"\(N, T, H\)"),
    ({"labels": np.zeros(4)}, "integer classes"),
    ({"labels": np.zeros(3, dtype=int)}, "integer classes"),
    ({"labels": np.zeros(4, dtype=int)}, "two classes"),
    ({"lengths": np.ones(3)}, "lengths"),
    ({"train_fraction": 1.0}, "train_fraction"),
    ({"l2": -1.0}, "l2"),
])
def test_probe_rejects_bad_arguments(kwargs, match):
    args = {"states": np.zeros((4, 2, 3)), "labels": np.array([0, 1, 0, 1])} | kwargs
    with pytest.raises(ValueError, match=match):
        probe_accuracy(**args)


def test_training_lowers_the_loss_and_is_seeded():
    train, test = translation_split(300, 20, np.random.default_rng(0), gaps=range(2))
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = Seq2Seq(len(source_vocabulary()), len(target_vocabulary()), embedding=8, hidden=16)
        runs.append(fit(model, train, steps=40, batch_size=16, lr=2e-2, seed=3))
    assert runs[0] == runs[1]
    assert np.mean(runs[0][-10:]) < 0.6 * np.mean(runs[0][:3])
    src, lengths, tgt = (torch.as_tensor(a) for a in (test.src, test.src_lengths, test.tgt))
    with torch.no_grad():
        assert float(sequence_loss(model, src, lengths, tgt)) < np.mean(runs[0][:3])
    with pytest.raises(ValueError, match="lr"):
        fit(model, train, steps=1, lr=0)
    with pytest.raises(ValueError, match="steps"):
        fit(model, train, steps=0)


# --------------------------------------------------------------------------- the experiment


def test_experiment_config_is_checked():
    with pytest.raises(ValueError, match="hidden"):
        experiment.TranslationConfig(hidden=0)
    with pytest.raises(ValueError, match="exceeds"):
        experiment.TranslationConfig(max_gap=0, n_train=20_000)
    with pytest.raises(ValueError, match="max_len"):
        experiment.TranslationConfig(max_len=10)
    with pytest.raises(ValueError, match="lr"):
        experiment.TranslationConfig(lr=0)
    with pytest.raises(ValueError, match="model"):
        experiment.make_model("transformer")


def test_quick_run_of_the_command(tmp_path, capsys):
    from lstm_helpers.experiments import main
    from lstm_helpers.experiments.runner import load

    status = main(["translation", "--quick", "--models", "all", "--seeds", "0,1", "--out", str(tmp_path),
                   "--no-progress", "--quiet"])
    assert status == 0
    out = capsys.readouterr().out
    assert "lstm_attention" in out and "wrote" in out
    data = json.loads((tmp_path / "translation.json").read_text())
    assert data["task"] == "translation" and data["experiment"] == "translation"
    assert set(data["models"]) == set(experiment.MODELS)
    for name, entry in data["models"].items():
        assert entry["model"] == name and 0.0 <= entry["exact_match"] <= 1.0
        assert len(entry["runs"]) == 2
        agree = entry["agreement_by_distance"]
        assert agree and all(0.0 <= v <= 1.0 for v in agree.values())
        assert "2" in agree and all(int(k) >= 2 for k in agree)
        run = entry["runs"][0]
        assert len(run["probe_hidden"]) >= 10 and ("probe_cell" in run) == name.startswith("lstm")
    assert load("translation", "translation", folder=tmp_path)["models"].keys() == data["models"].keys()
