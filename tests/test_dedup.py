"""The one "same paper" rule (corpus/dedup.py) that ingest and fetch merging share."""

from landscape.corpus.dedup import NEAR_IDENTICAL_JACCARD, abstract_words, duplicate_groups, near_identical

A = "We propose certified unlearning for deep networks and measure what membership inference recovers."
B = "Graph neural networks learn the dynamics of particle systems from trajectories and generalise."


def test_near_identical_is_a_word_set_jaccard():
    assert near_identical(abstract_words(A), abstract_words(A + " Code is available."))
    assert not near_identical(abstract_words(A), abstract_words(B))
    assert not near_identical(abstract_words(""), abstract_words(""))  # no text is no evidence
    assert 0.5 < NEAR_IDENTICAL_JACCARD < 1


def test_same_title_splits_by_ids_and_abstracts():
    ids = ["doi:1", "doi:2", "doi:3", "arXiv:2101.00001", "arXiv:2101.00001"]
    abstracts = [A, B, A + " (journal version)", B, "a different text altogether for this version"]
    groups = duplicate_groups(ids, ["intro"] * 5, abstracts)
    assert sorted(groups) == [[0, 2], [1, 3, 4]]  # near-identical abstracts; same arXiv id


def test_a_row_that_cannot_contradict_joins_the_one_paper_of_its_title():
    assert duplicate_groups(["doi:1", "title:x"], ["intro", "intro"], [A, B]) == [[0, 1]]
    assert duplicate_groups(["doi:1", "doi:2"], ["intro", "intro"], [A, ""]) == [[0, 1]]  # no abstract
    # two different papers with the title: it joins the one whose abstract it has, else stays alone
    three = duplicate_groups(["doi:1", "doi:2", "title:x"], ["intro"] * 3, [A, B, B + " Also."])
    assert three == [[1, 2]]
    assert duplicate_groups(["doi:1", "doi:2", "title:x"], ["intro"] * 3, [A, B, "unrelated words"]) == []


def test_many_different_papers_with_one_title_stay_apart_quickly():
    abstracts = [
        f"study {i} of topic {i * 7} with method {i * 13} and result {i * 31} on data {i}"
        for i in range(2000)
    ]
    assert duplicate_groups([f"doi:{i}" for i in range(2000)], ["introduction"] * 2000, abstracts) == []
