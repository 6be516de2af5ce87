"""Optional namers: a Python callable and an OpenAI-compatible chat server (a loopback stand-in here).
Their names are checked like offline ones, their evidence recomputed, and any failure leaves the
offline names with one warning."""

import json
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from landscape.model.label_evidence import WordPresence, content_words, support_and_lift
from landscape.model.naming import TopicNamer, name_levels
from landscape.model.outside_namer import ChatNamer, NamerWarning, TopicEvidence, clean_name

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "landscape" / "data" / "hf_papers_sample.csv"

SUBJECTS = [
    ("Machine unlearning", "forget requests", "unlearned models"),
    ("Speech recognition", "acoustic models", "spoken audio"),
    ("Robot grasping", "tactile sensors", "grasp planning"),
    ("Protein folding", "structure prediction", "amino acid sequences"),
]


def _corpus(n=8):
    docs, labels = [], []
    for t, (a, b, c) in enumerate(SUBJECTS):
        for i in range(n):
            docs.append(f"{a} study {i}. We relate {a.lower()} to {b} and {c} in experiments.")
            labels.append(t)
    return docs, np.array(labels), np.array([0, 0, 1, 1])


def _offline():
    docs, labels, groups = _corpus()
    namer = TopicNamer().fit(docs)
    return docs, labels, groups, namer, name_levels(namer, labels, groups)


def test_a_callable_namer_names_topics_and_groups_with_recomputed_evidence():
    docs, labels, groups, namer, (offline, offline_groups) = _offline()
    seen = []

    def name(evidence: TopicEvidence):
        seen.append(evidence)
        if evidence.level == "group":
            return f"Applied Studies {evidence.id}"
        return {0: "Unlearned Models", 1: "Spoken Audio", 2: "Grasp Planning", 3: "Amino Acid Sequences"}[
            evidence.id
        ]

    state = {}
    names, group_names = name_levels(namer, labels, groups, outside=name, state=state)
    assert [names[t].label for t in range(4)] == [
        "Unlearned Models",
        "Spoken Audio",
        "Grasp Planning",
        "Amino Acid Sequences",
    ]
    assert group_names[0].label == "Applied Studies 0" and group_names[1].label == "Applied Studies 1"
    assert state["renamed"] == 6 and not state.get("failed")
    # the namer saw the evidence: offline label, keywords and titles of the topic's papers
    topic0 = next(e for e in seen if e.level == "topic" and e.id == 0)
    assert (
        topic0.label == offline[0].label
        and topic0.size == 8
        and topic0.titles[0].startswith("Machine unlearning")
    )
    assert next(e for e in seen if e.level == "group" and e.id == 0).children == [
        names[0].label,
        names[1].label,
    ]
    # stored evidence describes the new label, not the offline one
    presence = WordPresence().fit(docs)
    for t in range(4):
        used = presence.uses_any([content_words(k) for k in names[t].label_keys])
        assert support_and_lift(used, np.flatnonzero(labels == t)) == pytest.approx(
            (names[t].support, names[t].lift)
        )
        assert names[t].keywords == offline[t].keywords


@pytest.mark.parametrize(
    "answer",
    ["", "   ", "<b></b>", "Robots", "Multimodal", "x" * 200, None, 42],
)
def test_unusable_names_keep_the_offline_ones_with_one_warning(answer):
    docs, labels, groups, namer, (offline, offline_groups) = _offline()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names, group_names = name_levels(namer, labels, groups, outside=lambda e: answer)
    assert [names[t].label for t in range(4)] == [offline[t].label for t in range(4)]
    assert [group_names[g].label for g in (0, 1)] == [offline_groups[g].label for g in (0, 1)]
    assert len([w for w in caught if issubclass(w.category, NamerWarning)]) == 1


def test_a_term_of_art_its_papers_use_as_a_noun_may_name_a_topic_alone():
    docs, labels, groups, namer, (offline, _) = _offline()
    answers = {0: "Unlearning", 2: "Tactile"}  # a noun of topic 0's papers; an adjective of topic 2's
    names, _ = name_levels(
        namer, labels, groups, outside=lambda e: answers.get(e.id, "") if e.level == "topic" else ""
    )
    assert names[0].label == "Unlearning" and names[0].support == 1.0
    assert names[2].label == offline[2].label


def test_duplicate_and_child_names_are_refused():
    docs, labels, groups, namer, (offline, _) = _offline()
    state = {}
    names, group_names = name_levels(
        namer, labels, groups, outside=lambda e: "Shared Subject Name", state=state
    )
    every = [names[t].label for t in range(4)] + [group_names[g].label for g in (0, 1)]
    assert len({x.lower() for x in every}) == 6  # unique on the map
    assert sum(x == "Shared Subject Name" for x in every) == 1
    for g in (0, 1):
        assert group_names[g].label.lower() not in {
            names[t].label.lower() for t in np.flatnonzero(groups == g)
        }


def test_markup_and_chatter_become_plain_text():
    assert clean_name('<script>alert(1)</script> **"Robot Grasping"**') == "alert(1) Robot Grasping"
    assert clean_name("Name: Speech Recognition\nBecause the papers...") == "Speech Recognition"
    assert clean_name("Mixture-of-Experts <img src=x onerror=alert(1)>") == "Mixture-of-Experts"
    assert clean_name("1 < 2 and 3 > 2 in Transformers") == "1 2 in Transformers"
    assert "<" not in (clean_name("LoRA & <i>Adapters</i>") or "")


def test_a_failing_namer_leaves_every_offline_name_with_one_warning():
    docs, labels, groups, namer, (offline, offline_groups) = _offline()
    calls = []

    def flaky(evidence):
        calls.append(evidence)
        if len(calls) == 3:
            raise RuntimeError("model crashed")
        return f"Custom Name {len(calls)}"

    state = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names, group_names = name_levels(namer, labels, groups, outside=flaky, state=state)
    assert len(calls) == 3  # not called again after the failure
    assert [names[t].label for t in range(4)] == [offline[t].label for t in range(4)]
    assert [group_names[g].label for g in (0, 1)] == [offline_groups[g].label for g in (0, 1)]
    assert "model crashed" in state["failed"] and state["renamed"] == 0
    assert len([w for w in caught if issubclass(w.category, NamerWarning)]) == 1


# ---- an OpenAI-compatible chat server on loopback -------------------------------------------------
class StandIn:
    """A chat-completions stand-in: ``mode`` is "ok", "slow", "error" or "garbage"."""

    def __init__(self, mode="ok", delay=2.0):
        self.mode, self.delay, self.requests = mode, delay, []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stand_in.requests.append((self.path, body, self.headers.get("Authorization")))
                if stand_in.mode == "slow":
                    time.sleep(stand_in.delay)
                if stand_in.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                prompt = body["messages"][-1]["content"]
                first = prompt.split("Key phrases: ", 1)[1].split(",")[0].strip()
                content = f"{first.title()} Research" if stand_in.mode == "ok" else None
                payload = {"choices": [{"message": {"role": "assistant", "content": content}}]}
                data = json.dumps(payload if stand_in.mode != "garbage" else {"oops": 1}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (slow mode)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in(request):
    server = StandIn(*getattr(request, "param", ("ok",)))
    yield server
    server.close()


def test_a_chat_server_names_topics(stand_in):
    docs, labels, groups, namer, _ = _offline()
    chat = ChatNamer(stand_in.url, model="tiny", api_key="k")
    names, group_names = name_levels(namer, labels, groups, outside=chat)
    path, body, auth = stand_in.requests[0]
    assert path == "/v1/chat/completions" and body["model"] == "tiny" and auth == "Bearer k"
    assert body["messages"][0]["role"] == "system" and "Key phrases:" in body["messages"][1]["content"]
    assert all(names[t].label.endswith("Research") for t in range(4)), [names[t].label for t in range(4)]
    assert len(stand_in.requests) == 6  # four topics, two groups


@pytest.mark.parametrize(
    "stand_in, timeout, why",
    [(("slow", 3.0), 0.5, "timed out"), (("error",), 30, "500"), (("garbage",), 30, "choices")],
    indirect=["stand_in"],
)
def test_a_slow_or_failing_server_falls_back_to_offline_names(stand_in, timeout, why):
    docs, labels, groups, namer, (offline, offline_groups) = _offline()
    chat = ChatNamer(stand_in.url, timeout=timeout)
    state = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names, group_names = name_levels(namer, labels, groups, outside=chat, state=state)
    time.sleep(0.5)  # a starved server thread may log the request late
    assert len(stand_in.requests) <= 1  # one failed request, not one per topic
    assert why in state["failed"], state["failed"]
    assert [names[t].label for t in range(4)] == [offline[t].label for t in range(4)]
    assert [group_names[g].label for g in (0, 1)] == [offline_groups[g].label for g in (0, 1)]
    assert len([w for w in caught if issubclass(w.category, NamerWarning)]) == 1


def test_cli_build_and_update_with_namer_url(stand_in, tmp_path, monkeypatch, capsys):
    from landscape.cli import main
    from landscape.store import Landscape

    monkeypatch.setenv("LANDSCAPE_CACHE_DIR", str(tmp_path / "cache"))
    vectors = np.random.default_rng(0).normal(size=(100, 384)).astype(np.float32)
    np.save(tmp_path / "vectors.npy", vectors)
    out = tmp_path / "land"
    args = ["build", str(SAMPLE), "-o", str(out), "--embeddings", str(tmp_path / "vectors.npy")]
    assert main([*args, "--namer-url", stand_in.url, "--namer-model", "tiny", "--quiet"]) == 0
    land = Landscape.load(out)
    labels = land.topics["label"].tolist() + [g["label"] for g in land.meta["groups"]]
    assert sum(x.endswith("Research") for x in labels) >= len(labels) // 2
    assert len({x.lower() for x in labels}) == len(labels)
    naming = land.meta["naming"]
    assert (
        naming["namer"].startswith("chat:http://127.0.0.1")
        and naming["renamed"] >= 1
        and not naming["failed"]
    )
    # the stored support is the share of the topic's papers using the label's words
    presence = WordPresence().fit((land.documents["title"] + ". " + land.documents["abstract"]).tolist())
    row = land.topics.iloc[0]
    members = np.flatnonzero(land.documents["topic"].to_numpy() == row["topic"])
    used = presence.uses_any([content_words(p) for p in row["label"].split(" and ")])
    assert support_and_lift(used, members)[0] == pytest.approx(row["label_support"], abs=0.01)

    # update: new topics are named by the server too, and the record says so
    asked = len(stand_in.requests)
    qec = ROOT / "tests" / "data" / "update" / "quantum_error_correction.csv"
    assert (
        main(["update", str(out), str(qec), "--namer-url", stand_in.url, "--min-topic-size", "5", "-q"]) == 0
    )
    record = Landscape.load(out).meta["updates"][-1]
    if record["new_topics"]:
        assert record["naming"]["renamed"] >= 1 and len(stand_in.requests) > asked
        assert any(t["label"].endswith("Research") for t in record["new_topics"]), record["new_topics"]

    # a server that has gone away: the build still succeeds with offline names and one warning
    stand_in.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert (
            main([*args[:3], str(tmp_path / "offline"), *args[4:], "--namer-url", stand_in.url, "--quiet"])
            == 0
        )
    assert len([w for w in caught if issubclass(w.category, NamerWarning)]) == 1
    assert Landscape.load(tmp_path / "offline").meta["naming"]["failed"]
