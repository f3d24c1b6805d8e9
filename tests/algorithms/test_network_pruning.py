"""Magnitude pruning and the prune/retrain lanes; the dropout vs DropConnect lanes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms.network import pruning, regularise
from algorithms.network.data import spirals, xor


def shapes_weights(seed, shapes=((2, 6), (6, 5), (5, 3))):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s) for s in shapes]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), s=st.floats(0.0, 1.0),
       scope=st.sampled_from(pruning.SCOPES))
def test_pruning_reaches_the_target_exactly_and_cuts_the_smallest(seed, s, scope):
    ws = shapes_weights(seed)
    keep, cuts = pruning.magnitude_prune(ws, None, s, scope)
    total = sum(w.size for w in ws)
    if scope == "global":
        assert sum(int((~k).sum()) for k in keep) == round(s * total)
        mags = np.concatenate([np.abs(w).ravel() for w in ws])
        kept = np.concatenate([k.ravel() for k in keep])
        if (~kept).any() and kept.any():
            assert mags[~kept].max() <= mags[kept].min()
            assert cuts[0] == mags[~kept].max()
    else:
        for w, k, cut in zip(ws, keep, cuts, strict=True):
            assert int((~k).sum()) == round(s * w.size)
            if (~k).any() and k.any():
                assert np.abs(w[~k]).max() == cut <= np.abs(w[k]).min()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), a=st.floats(0.0, 1.0), b=st.floats(0.0, 1.0),
       scope=st.sampled_from(pruning.SCOPES))
def test_a_pruned_weight_is_never_kept_again(seed, a, b, scope):
    ws = shapes_weights(seed)
    first, _ = pruning.magnitude_prune(ws, None, a, scope)
    # even if the weights change meanwhile (retraining), and even for a lower target
    moved = [w * np.random.default_rng(seed + 1).uniform(0.1, 10, w.shape) for w in ws]
    second, _ = pruning.magnitude_prune(moved, first, b, scope)
    for k1, k2 in zip(first, second, strict=True):
        assert not (k2 & ~k1).any()
    if b >= a and scope == "global":
        total = sum(w.size for w in ws)
        assert sum(int((~k).sum()) for k in second) == round(b * total)


def test_ties_go_by_position_and_bad_arguments_are_refused():
    keep, cuts = pruning.magnitude_prune([np.array([[1.0, -1.0, 1.0, 0.5]])], None, 0.5)
    np.testing.assert_array_equal(keep[0], [[False, True, True, False]])
    assert cuts == (1.0,)
    keep, cuts = pruning.magnitude_prune([np.ones((2, 2))], None, 0.0)
    assert keep[0].all() and cuts == (0.0,)
    with pytest.raises(ValueError, match="sparsity"):
        pruning.magnitude_prune([np.ones(3)], None, 1.5)
    with pytest.raises(ValueError, match="scope"):
        pruning.magnitude_prune([np.ones(3)], None, 0.5, "by unit")
    assert pruning.sparsity_of([np.array([True, False]), np.array([False, False])]) == 0.75


def prune_run(scope="global", seed=1, **kw):
    X, y = spirals(120, 2, 0.05, np.random.default_rng(0))
    kw = {"pretrain": 8, "rounds": 3, "retrain": 3, "hidden": "8, 6", "sparsity": 0.7, **kw}
    params = pruning.PruneParams(scope=scope, **kw)
    return list(pruning.run(X, y, params, np.random.default_rng(seed)))


@pytest.mark.parametrize("scope", pruning.SCOPES)
def test_pruning_run_reaches_the_target_and_retraining_never_revives(scope):
    steps = prune_run(scope)
    assert [s.phase for s in steps[:10]] == ["start"] + ["train"] * 8 + ["prune"]
    assert steps[-1].phase == "done" and len(steps) == 1 + 8 + 3 * (1 + 3)
    sizes = [(2, 8), (8, 6), (6, 2)]
    total = sum(a * b for a, b in sizes)
    final = steps[-1].lanes
    for lane in final.values():
        pruned = sum(int((~k).sum()) for k in lane.keep)
        if scope == "global":
            assert pruned == round(0.7 * total)
        else:
            assert [int((~k).sum()) for k in lane.keep] == [round(0.7 * a * b) for a, b in sizes]
    previous = {}
    for s in steps[10:]:
        for name, lane in s.lanes.items():
            for w, k in zip(lane.weights, lane.keep, strict=True):
                assert (w[~k] == 0).all()             # pruned weights stay exactly 0
            if name in previous:
                for k_old, k in zip(previous[name], lane.keep, strict=True):
                    assert not (k & ~k_old).any()     # and are never kept again
            previous[name] = lane.keep
    prunes = [s for s in steps if s.phase == "prune"]
    iterative = [s.lanes["iterative"].sparsity for s in prunes]
    once = [s.lanes["all at once"].sparsity for s in prunes]
    assert iterative[0] < iterative[1] < iterative[2] and once[0] == once[1] == once[2]
    assert [s.target for s in prunes] == pytest.approx([0.7 / 3, 1.4 / 3, 0.7])


def test_both_lanes_start_from_the_same_dense_network_with_the_same_budget():
    steps = prune_run()
    dense = steps[8].lanes["dense"]
    first_prune = steps[9]
    for lane in first_prune.lanes.values():
        kept_dense = [np.where(k, w, 0) for w, k in zip(dense.weights, lane.keep, strict=True)]
        for w, expect in zip(lane.weights, kept_dense, strict=True):
            np.testing.assert_array_equal(w, expect)   # pruning only zeroes, nothing else
    final = steps[-1].lanes
    assert final["iterative"].history.rows.shape == final["all at once"].history.rows.shape
    rows = final["iterative"].after_retrain
    assert list(rows[:, 0]) == [0, 1, 2, 3] and rows[0, 1] == 0.0
    assert final["all at once"].after_prune[1, 1] == pytest.approx(0.7, abs=0.01)
    assert steps[9].lanes["iterative"].newly_pruned is not None
    assert "removed" in first_prune.caption and "sparse (target" in first_prune.caption
    assert "nothing more to remove" in steps[13].caption


def test_pruning_run_is_the_same_for_the_same_seed():
    a, b, c = prune_run(seed=3), prune_run(seed=3), prune_run(seed=4)
    assert [s.caption for s in a] == [s.caption for s in b]
    assert a[-1].metrics == b[-1].metrics
    assert a[-1].caption != c[-1].caption
    for s in a:
        assert "nan" not in s.caption and "-0" not in s.caption
        assert all(np.isfinite(v) for v in s.metrics.values())


# --- dropout vs DropConnect -----------------------------------------------------------------

def compare_run(seed=1, **kw):
    X, y = xor(80, 2, 0.1, np.random.default_rng(0))
    params = regularise.CompareParams(hidden="6, 4", epochs=4, batch_size=16, **kw)
    return list(regularise.run(X, y, params, np.random.default_rng(seed)))


def test_three_lanes_share_their_start_and_differ_only_in_masks():
    steps = compare_run(rate=0.4)
    start = steps[0].lanes
    for name in ("dropout", "DropConnect"):
        for w1, w2 in zip(start["none"].weights, start[name].weights, strict=True):
            np.testing.assert_array_equal(w1, w2)
    epoch = steps[2].lanes
    assert all(m is None for m in epoch["none"].unit_masks + epoch["none"].weight_masks)
    assert epoch["dropout"].unit_masks[0].shape == (6,) and epoch["dropout"].unit_masks[2] is None
    assert all(m is None for m in epoch["dropout"].weight_masks)
    assert all(m is None for m in epoch["DropConnect"].unit_masks)
    assert epoch["DropConnect"].weight_masks[0] is None
    assert epoch["DropConnect"].weight_masks[1].shape == (6, 4)
    assert steps[2].keep_scale == pytest.approx(1 / 0.6)
    assert not np.array_equal(epoch["none"].weights[1], epoch["dropout"].weights[1])
    assert [s.phase for s in steps] == ["start", "epoch", "epoch", "epoch", "done"]
    assert "×1.67 while training" in steps[0].caption and "1 − p = 0.6" in steps[0].caption
    last = steps[-1]
    for name, lane in last.lanes.items():
        assert f"{name}: train loss" in last.caption
        assert lane.history.rows.shape == (5, 6)
        assert last.metrics[f"{name} test accuracy"] == lane.history["test accuracy"][-1]


def test_a_small_rate_moves_the_dropout_lane_less_from_the_plain_one():
    steps = compare_run(rate=0.05)
    lanes = steps[-1].lanes
    gap = max(np.abs(w1 - w2).max() for w1, w2 in zip(lanes["none"].weights,
                                                        lanes["dropout"].weights, strict=True))
    far = compare_run(rate=0.8)[-1].lanes
    far_gap = max(np.abs(w1 - w2).max() for w1, w2 in zip(far["none"].weights,
                                                           far["dropout"].weights, strict=True))
    assert gap < far_gap


def test_compare_run_is_the_same_for_the_same_seed():
    a, b = compare_run(seed=2), compare_run(seed=2)
    assert [s.caption for s in a] == [s.caption for s in b]
    for s, t in zip(a, b, strict=True):
        np.testing.assert_array_equal(s.lanes["DropConnect"].weights[1],
                                      t.lanes["DropConnect"].weights[1])


def test_no_retraining_still_ends_with_a_done_step():
    steps = prune_run(retrain=0)
    assert [s.phase for s in steps[-4:]] == ["prune", "prune", "prune", "done"]
    assert "no retraining" in steps[-1].caption
    assert steps[-1].lanes["iterative"].sparsity == pytest.approx(0.7, abs=0.01)


# --- the panels' granularities: one mini-batch update, one whole stage ------------------------

def test_batch_steps_train_the_same_networks_as_epoch_steps():
    by_epoch = compare_run(rate=0.3)
    by_batch = compare_run(rate=0.3, granularity="batch")
    per = by_batch[1].batches                              # 40 training points / 16 → 3
    assert per == 3 and len(by_batch) == 1 + 4 * per
    assert [s.phase for s in by_batch[-2:]] == ["batch", "done"]
    assert [(s.epoch, s.batch, s.updates) for s in by_batch[1:5]] == [
        (1, 1, 1), (1, 2, 2), (1, 3, 3), (2, 1, 4)]
    assert by_epoch[2].updates == 2 * per
    for name in regularise.LANES:
        for w1, w2 in zip(by_epoch[-1].lanes[name].weights, by_batch[-1].lanes[name].weights,
                          strict=True):
            np.testing.assert_array_equal(w1, w2)
        assert by_batch[5].lanes[name].history.rows.shape == (6, 6)   # start + 5 updates
    assert "Update 5: epoch 2, mini-batch 2 of 3" in by_batch[5].caption
    masks = by_batch[5].lanes["dropout"].unit_masks[0]
    assert masks is not None and set(np.unique(masks).tolist()) <= {0.0, 1.0}


def test_round_steps_show_whole_stages_and_the_weights_before_each_cut():
    by_epoch = prune_run()
    steps = prune_run(granularity="round")
    assert [s.phase for s in steps] == ["start", "train"] + ["prune", "retrain"] * 2 + [
        "prune", "done"]
    for w1, w2 in zip(by_epoch[-1].lanes["iterative"].weights,
                      steps[-1].lanes["iterative"].weights, strict=True):
        np.testing.assert_array_equal(w1, w2)
    prune, retrain = steps[2].lanes["iterative"], steps[3].lanes["iterative"]
    assert retrain.before is None and retrain.newly_pruned is None
    for before, after, newly, cut in zip(prune.before, prune.weights, prune.newly_pruned,
                                         prune.cuts, strict=True):
        np.testing.assert_array_equal(after, np.where(newly, 0.0, before))
        assert (np.abs(before[newly]) <= cut).all()
    assert "8 epochs" in steps[1].caption and "3 retraining epochs" in steps[3].caption
