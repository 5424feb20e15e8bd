"""Hot-block risk by time window: a pipeline of named stages (:func:`compute_risk`).

Counts incidents per street block inside each time window with the aoristic method
(Ratcliffe 2002; :mod:`hotblocking.timeline`), weights them by source, harm (Cambridge Crime
Harm Index style weights, Sherman, Neyroud & Neyroud 2016) and recency (exponential decay with a
half-life), optionally smooths along the network (:mod:`hotblocking.network`), ranks blocks per
window, tests each block's count against a length-proportional Poisson null with
Benjamini-Hochberg control (:mod:`hotblocking.significance`) and reports concentration as in
Weisburd (2015) "The law of crime concentration and the criminology of place".

The stages, each a module here, hand typed values to the next:

1. :mod:`.inputs`: the blocks (:class:`~.inputs.Blocks`) and the incidents on them, in the
   study period (:class:`~.inputs.Incidents`, :class:`~.inputs.Sources`), and the network
   when smoothing or merging needs one;
2. :mod:`.merging`: cross-source duplicates merged (:func:`~.merging.merge_duplicates`);
3. :mod:`.weights`: which incidents count in windows (:class:`~.weights.TimeFlags`) and
   what each weighs (:func:`~.weights.risk_weights`);
4. :mod:`.period`: the study period's last third (trend) and the dates whose window
   occurrences can hold an incident;
5. :mod:`.profiles`: the hour-of-week profile of every block;
6. :mod:`.counts`: aoristic counts per block in one window (:class:`~.counts.WindowCounts`);
7. smoothing along the network (:func:`hotblocking.network.smooth`);
8. :mod:`.ranking`: ranks, significance and the hot rule per window
   (:class:`~.ranking.HotRule`, :class:`~.ranking.WindowRanks`);
9. :mod:`.table`: the output table in :data:`hotblocking.schema.HOT_BLOCKS` order, the long
   profiles table and the summary.

Conventions (documented choices):

* ``weight`` NaN counts as 1 in ``harm`` (and in ``risk`` when ``use_harm``).
* Sources missing from ``source_weights`` weigh 1. A merged multi-source incident takes the
  largest weight among its sources and its largest harm weight.
* ``incidents`` and the ``n_<source>`` columns are unweighted aoristic counts; after merging, a
  merged incident counts once in ``incidents`` and once in each of its sources' columns, so the
  source columns may sum to more than ``incidents``.
* Incidents without a start time, or spanning more than ``max_span_hours``, are left out of the
  windows and profiles but kept in totals (``summary``: concentration, blocks_with_any). A
  period filter needs a start time, so with a period set untimed incidents are dropped.
* ``profile`` is the block's 168-cell aoristic hour-of-week profile (unweighted, local
  wall-clock, Mon 00:00 = cell 0) restricted to the cells the window touches (other cells 0;
  a partly covered hour counts whole), as text (:func:`hotblocking.schema.encode_profile`);
  empty when the block has nothing in the window. For a whole-week profile add a window
  such as ``all=daily 00:00-24:00``. ``profiles`` holds the same non-zero cells in long form.
* ``trend`` = rate in the last third of the study period / rate in the first two thirds
  (= 2 * last / rest, by in-window count and start time); NaN when the first two thirds hold
  nothing. The study period is ``[period_start, period_end]`` when given, else the first to the
  last incident start.
* ``p_value``/``q_value`` are computed on the unsmoothed in-window counts.
* ``window_spec`` and ``sources`` carry the window definitions and the source labels, so
  that a reader of the layer needs nothing else (:mod:`hotblocking.schema`).
"""

from .merging import merge_groups
from .pipeline import RiskResult, compute_risk
from .ranking import HOT_RULE_KINDS, HotRule

__all__ = ["HOT_RULE_KINDS", "HotRule", "RiskResult", "compute_risk", "merge_groups"]
