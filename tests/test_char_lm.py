"""The character language model: the shipped corpus, the model, stateful training, sampling, cells, the experiment."""

import hashlib
import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from lstm_helpers import charlm, pin_threads  # noqa: E402
from lstm_helpers.numpy_lstm import lstm_step_forward, lstm_weights_from_torch  # noqa: E402
from lstm_helpers.plots import plot_text_heatmap  # noqa: E402


def teardown_function():
    plt.close("all")


# --------------------------------------------------------------------------- corpus


def test_the_shipped_corpus_has_the_recorded_sha256_and_size():
    path = charlm.corpus_path()
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == charlm.CORPUS_SHA256
    assert len(data) >= 300_000
    text = charlm.load_corpus()
    assert text.startswith(charlm.HEADER.format(path="lstm_helpers/__init__.py"))
    assert "\r" not in text


def test_load_corpus_refuses_another_file(tmp_path):
    other = tmp_path / "corpus.txt"
    other.write_text("print('hello')\n")
    with pytest.raises(ValueError, match="SHA-256"):
        charlm.load_corpus(other)
    assert charlm.load_corpus(other, check=False) == "print('hello')\n"
    with pytest.raises(ValueError, match="no corpus"):
        charlm.load_corpus(tmp_path / "missing.txt")


def test_build_corpus_sorts_by_path_and_writes_headers(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "b.py").write_text("b = 2")
    (pkg / "a.py").write_text("a = 1\n")
    (pkg / "sub" / "c.py").write_text("c = 3\n")
    (pkg / "notes.txt").write_text("not python\n")
    text = charlm.build_corpus(pkg)
    assert text == ("# ===== file: pkg/a.py =====\na = 1\n# ===== file: pkg/b.py =====\nb = 2\n"
                    "# ===== file: pkg/sub/c.py =====\nc = 3\n")
    digest = charlm.write_corpus(pkg, tmp_path / "out" / "c.txt")
    assert digest == hashlib.sha256(text.encode()).hexdigest()
    with pytest.raises(ValueError, match="folder"):
        charlm.build_corpus(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no .py"):
        charlm.build_corpus(tmp_path / "empty")


def test_split_is_contiguous_and_complete():
    text = "".join(chr(97 + i % 26) for i in range(1000))
    train, valid, test = charlm.split_text(text)
    assert (len(train), len(valid), len(test)) == (900, 50, 50)
    assert train + valid + test == text
    with pytest.raises(ValueError, match="fractions"):
        charlm.split_text(text, (0.5, 0.5))
    with pytest.raises(ValueError, match="fractions"):
        charlm.split_text(text, (0.9, 0.2, -0.1))
    with pytest.raises(ValueError, match="too short"):
        charlm.split_text("ab")
    with pytest.raises(ValueError, match="str"):
        charlm.split_text(b"abc")


def test_vocabulary_round_trip_and_bad_input():
    vocab = charlm.Vocabulary("hello world")
    assert vocab.chars == " dehlorw" and len(vocab) == 8
    ids = vocab.encode("low")
    assert ids.dtype == np.int64 and vocab.decode(ids) == "low"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode("z")
    with pytest.raises(ValueError, match="indices"):
        vocab.decode([8])
    with pytest.raises(ValueError, match="non-empty"):
        charlm.Vocabulary("")


# --------------------------------------------------------------------------- model and training


def _model(V=6, H=5, E=3, seed=0):
    torch.manual_seed(seed)
    return charlm.CharLM(V, H, E)


def test_model_shapes_and_bad_input():
    model = _model()
    x = torch.randint(0, 6, (2, 7))
    logits, (h, c) = model(x)
    assert logits.shape == (2, 7, 6) and h.shape == c.shape == (1, 2, 5)
    logits, state, hs = model(x, return_states=True)
    assert hs.shape == (2, 7, 5)
    assert model.n_parameters() == 6 * 3 + 4 * 5 * (3 + 5) + 2 * 4 * 5 + 5 * 6 + 6
    with pytest.raises(ValueError, match="integer tensor"):
        model(torch.zeros(2, 7))
    with pytest.raises(ValueError, match="indices"):
        model(torch.full((1, 2), 6))
    with pytest.raises(ValueError, match="vocab_size"):
        charlm.CharLM(1, 4)


def test_one_step_equals_the_numpy_lstm():
    model = _model().double()
    x = torch.tensor([[2, 4, 1]])
    logits, (h, c), hs = model(x, return_states=True)
    Wx, Wh, b = lstm_weights_from_torch(model.lstm)
    E = model.embed.weight.detach().numpy()
    h_np, c_np = np.zeros((1, 5)), np.zeros((1, 5))
    for t in range(3):
        h_np, c_np, _ = lstm_step_forward(E[x[0, t]][None], h_np, c_np, Wx, Wh, b)
        np.testing.assert_allclose(hs[0, t].detach().numpy(), h_np[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c[0].detach().numpy(), c_np, rtol=1e-12, atol=1e-14)
    W, bo = model.readout.weight.detach().numpy(), model.readout.bias.detach().numpy()
    np.testing.assert_allclose(logits[0, -1].detach().numpy(), h_np[0] @ W.T + bo, rtol=1e-12, atol=1e-13)


def test_stream_batches_continue_each_other():
    ids = np.arange(23)
    windows = list(charlm.stream_batches(ids, 2, 4))
    # S = 22 // 2 = 11 steps per stream: stream 0 is 0..10 -> 1..11, stream 1 is 11..21 -> 12..22
    x = torch.cat([w[0] for w in windows], dim=1)
    y = torch.cat([w[1] for w in windows], dim=1)
    assert [w[0].shape[1] for w in windows] == [4, 4, 3]
    assert x.tolist() == [list(range(11)), list(range(11, 22))]
    assert (y == x + 1).all()
    with pytest.raises(ValueError, match="too short"):
        list(charlm.stream_batches(np.arange(2), 4, 3))
    with pytest.raises(ValueError, match="bptt"):
        list(charlm.stream_batches(ids, 2, 0))
    with pytest.raises(ValueError, match="shape"):
        list(charlm.stream_batches(np.zeros((2, 3), dtype=int), 2, 2))


def test_stateful_reading_equals_one_pass():
    # Carrying the (detached) state from window to window gives the values of one pass over the whole stream.
    model = _model(seed=1).double()
    ids = torch.randint(0, 6, (1, 30))
    full, _ = model(ids)
    state, parts = None, []
    for start in range(0, 30, 7):
        out, state = model(ids[:, start:start + 7], state)
        state = charlm.detach_state(state)
        parts.append(out)
    torch.testing.assert_close(torch.cat(parts, dim=1), full, rtol=1e-12, atol=1e-12)
    assert charlm.detach_state(None) is None
    assert all(not s.requires_grad for s in state)


def test_training_lowers_the_loss_and_evaluate_bpc_is_in_bits():
    ids = np.tile(np.array([0, 1, 2, 3, 4, 5]), 200)
    model = _model(seed=0)
    before = charlm.evaluate_bpc(model, ids[:120], streams=2)
    with torch.no_grad():
        x = torch.as_tensor(ids[:-1]).view(1, -1)
        logits, _ = model(x)
        manual = torch.nn.functional.cross_entropy(logits[0], torch.as_tensor(ids[1:])).item() / np.log(2)
    assert charlm.evaluate_bpc(model, ids, streams=1) == pytest.approx(manual, rel=1e-5)
    with pin_threads(1):
        fit = charlm.train_stateful(model, ids, batch_size=4, bptt=10, lr=0.05, epochs=8, valid_ids=ids[:120],
                                    eval_every=0.05, keep_best=True)
    after = charlm.evaluate_bpc(model, ids[:120])
    assert after < 0.5 < before
    # 4 streams of S = 1199 // 4 = 299 steps: 30 windows (the last of 9 steps) and 4 * 299 characters per epoch
    assert fit["steps"] == 8 * 30 and fit["chars"] == 8 * 4 * 299 and fit["curve"]
    assert after == pytest.approx(min(c[2] for c in fit["curve"]))
    with pytest.raises(ValueError, match="seconds or epochs"):
        charlm.train_stateful(model, ids)
    with pytest.raises(ValueError, match="lr"):
        charlm.train_stateful(model, ids, epochs=1, lr=0)
    with pytest.raises(ValueError, match="keep_best"):
        charlm.train_stateful(model, ids, epochs=1, keep_best=True)


def test_sample_is_seeded_and_temperature_sharpens():
    vocab = charlm.Vocabulary("abcdef")
    model = _model(seed=3)
    a = charlm.sample(model, vocab, "ab", 40, temperature=1.0, seed=5)
    assert len(a) == 40 and set(a) <= set(vocab.chars)
    assert a == charlm.sample(model, vocab, "ab", 40, temperature=1.0, seed=5)
    with torch.no_grad():
        model.readout.bias[2] += 3.0  # make "c" the most likely character everywhere
    cold = charlm.sample(model, vocab, "ab", 200, temperature=0.05, seed=0)
    hot = charlm.sample(model, vocab, "ab", 200, temperature=50.0, seed=0)
    assert cold.count("c") > 190 and hot.count("c") < 80
    with pytest.raises(ValueError, match="temperature"):
        charlm.sample(model, vocab, "ab", 5, temperature=0)
    with pytest.raises(ValueError, match="prime"):
        charlm.sample(model, vocab, "", 5)


# --------------------------------------------------------------------------- looking inside


def test_text_features_on_a_small_program():
    text = 'x = f("a(b", [1])  # c(\n    y = 2\n'
    f = charlm.text_features(text)
    assert set(f) == {"in string", "bracket depth", "in comment", "column", "indentation"}
    s = "".join(str(int(v)) for v in f["in string"])
    assert s[text.index('"'):text.index('"') + 5] == "11110"  # opening quote inside, closing quote outside
    assert f["bracket depth"][text.index("[")] == 2 and f["bracket depth"][text.index("]")] == 1
    assert f["bracket depth"][text.index("(", 8)] == 1  # a bracket inside a string does not count
    assert f["bracket depth"][text.index("c(") + 1] == 0  # nor one in a comment
    assert f["in comment"][text.index("#")] == 1 and f["in comment"][text.index("y")] == 0
    assert f["column"][0] == 1 and f["column"][text.index("\n")] == 0
    assert f["indentation"][text.index("y")] == 4 and f["indentation"][0] == 0
    t3 = "'''a\nb'''c"
    assert charlm.text_features(t3)["in string"].tolist() == [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    with pytest.raises(ValueError, match="str"):
        charlm.text_features(3)


def test_correlate_cells_and_cell_values():
    rng = np.random.default_rng(0)
    feature = rng.normal(size=50)
    values = np.stack([feature * 2 + 1, -feature, rng.normal(size=50), np.ones(50)], axis=1)
    r = charlm.correlate_cells(values, feature)
    np.testing.assert_allclose(r[:2], [1.0, -1.0])
    assert abs(r[2]) < 0.5 and r[3] == 0.0
    with pytest.raises(ValueError, match="constant"):
        charlm.correlate_cells(values, np.ones(50))
    with pytest.raises(ValueError, match="must be"):
        charlm.correlate_cells(values, feature[:10])
    vocab = charlm.Vocabulary("abcdef")
    model = _model(seed=2)
    c = charlm.cell_values(model, vocab, "abcabc")
    h = charlm.cell_values(model, vocab, "abcabc", kind="h")
    _, (h_last, c_last), hs = model(torch.as_tensor(vocab.encode("abcabc"))[None], return_states=True)
    np.testing.assert_allclose(c[-1], c_last[0, 0].detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, hs[0].detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="kind"):
        charlm.cell_values(model, vocab, "ab", kind="g")


def test_plot_text_heatmap():
    text = "def f(x):\n    return x\n" + "y" * 150
    ax = plot_text_heatmap(text, np.linspace(-1, 1, len(text)), title="a cell", width=60)
    image = ax.get_images()[0].get_array()
    assert image.shape == (5, 60)  # two lines, then 150 characters wrapped at 60
    assert len(ax.texts) == len(text) - text.count(" ")
    assert ax.get_title() == "a cell"
    with pytest.raises(ValueError, match="shape"):
        plot_text_heatmap(text, np.zeros(3))
    with pytest.raises(ValueError, match="non-empty"):
        plot_text_heatmap("", np.zeros(0))
    with pytest.raises(ValueError, match="finite"):
        plot_text_heatmap("ab", [0.0, np.nan])
    with pytest.raises(ValueError, match="width"):
        plot_text_heatmap("ab", [0.0, 1.0], width=0)


# --------------------------------------------------------------------------- the experiment


def test_quick_experiment_stores_the_layout(tmp_path):
    import lstm_helpers.experiments.char_lm as exp
    from lstm_helpers.experiments.runner import main

    main(["char_lm", "--quick", "--models", "lstm32", "--out", str(tmp_path), "--no-progress", "--quiet",
          "--seconds", "0.5", "--save-weights", "lstm32"])
    data = json.loads((tmp_path / "char_lm.json").read_text())
    assert data["task"] == "char_lm" and data["experiment"] == "char_lm"
    assert data["corpus"]["sha256"] == charlm.CORPUS_SHA256
    assert set(data["ngram"]) == {"1", "2", "3"}
    run = data["models"]["lstm32"]["runs"][0]
    for key in ("model", "test_bpc", "parameters", "seconds", "curve"):
        assert key in run
    assert run["parameters"] == exp.make_model("lstm32", data["corpus"]["vocabulary"]).n_parameters()
    state = torch.load(tmp_path / "char_lm_lstm32.pt", weights_only=True)
    assert state["lstm.weight_hh_l0"].shape == (128, 32)
    # the n-gram baselines are exact: the stored 1-gram value is recomputed
    from lstm_helpers.ngram import KneserNey

    text = charlm.load_corpus()
    train, valid, test = charlm.split_text(text)
    assert KneserNey(train, 1, vocab=text).bits_per_char(test) == pytest.approx(data["ngram"]["1"]["test_bpc"])


def test_config_checks():
    from lstm_helpers.experiments.char_lm import CharLMConfig, make_model

    with pytest.raises(ValueError, match="unknown models"):
        CharLMConfig(seconds={"lstm7": 3})
    with pytest.raises(ValueError, match="positive"):
        CharLMConfig(lr=-1)
    with pytest.raises(ValueError, match="bptt"):
        CharLMConfig(bptt=0)
    with pytest.raises(ValueError, match="model must be"):
        make_model("gru", 10)
    with pytest.raises(ValueError, match="save_weights"):
        CharLMConfig(save_weights="lstm7")
    with pytest.raises(ValueError, match="dropout"):
        CharLMConfig(dropout=1.0)
    with pytest.raises(ValueError, match="dropout"):
        make_model("lstm32", 10, dropout=-0.1)


def test_the_stored_result_and_weights():
    """book/data/applications/char_lm.json: its layout, the claims the chapter makes, and the stored weights."""
    import lstm_helpers.experiments.char_lm  # noqa: F401 -- registers the experiment
    from lstm_helpers.experiments.runner import load
    from lstm_helpers.utils import data_dir

    data = load("char_lm", "char_lm", folder=data_dir("applications"))
    assert data["task"] == "char_lm" and data["corpus"]["sha256"] == charlm.CORPUS_SHA256
    assert set(data["ngram"]) == {"1", "2", "3", "4", "5"}
    ngram = [data["ngram"][str(n)]["test_bpc"] for n in range(1, 6)]
    assert all(a > b for a, b in zip(ngram, ngram[1:]))
    runs = {name: entry["runs"][0] for name, entry in data["models"].items()}
    for run in runs.values():
        assert {"model", "test_bpc", "parameters", "seconds", "curve"} <= set(run)
        assert run["curve"] and all(len(point) == 3 for point in run["curve"])
    assert sum(run["seconds"] for run in runs.values()) <= 20 * 60
    best = min(run["test_bpc"] for run in runs.values())
    assert best < min(ngram) - 0.05  # the LSTM beats every stored n-gram
    sizes = sorted(runs.values(), key=lambda r: r["parameters"])
    assert all(a["test_bpc"] > b["test_bpc"] for a, b in zip(sizes, sizes[1:]))  # larger is better here
    text = charlm.load_corpus()
    vocab = charlm.Vocabulary(text)
    model = charlm.CharLM(len(vocab), 128, data["config"]["embedding"], data["config"]["dropout"])
    model.load_state_dict(torch.load(data_dir("applications") / data["weights"], weights_only=True))
    test = vocab.encode(charlm.split_text(text)[2])
    with pin_threads(1):
        assert charlm.evaluate_bpc(model, test) == pytest.approx(runs["lstm128"]["test_bpc"], abs=1e-3)
